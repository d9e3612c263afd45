#!/usr/bin/env bash
# Big-message burst: starts the Release daemon with default settings (plus any flags given after the
# arguments below), runs scripts/burst.mjs against it and stops it.
# Usage: scripts/burst.sh [conns=8] [sizeMiB=30] [rounds=4] [idleSecs=30] [-- daemon flags...]
# BURST_UPSTREAM=1 sends the prompts to an OpenAI-compatible model server (scripts/burst-upstream.mjs, another process)
# instead of the local model: the daemon then writes each prompt onward in an HTTP request.
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-8}; size=${2:-30}; rounds=${3:-4}; idle=${4:-30}
shift $(( $# < 4 ? $# : 4 )); [ "${1:-}" = "--" ] && shift
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -d tests/clients/node_modules/ws ] || (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
exe=${EXE:-src/ExaiFast/bin/Release/net10.0/exaifast.dll}  # EXE=another build's exaifast.dll, or a native exaifast
[ -f "$exe" ] || dotnet build src/ExaiFast -c Release --verbosity quiet -nologo >/dev/null
run=(dotnet "$exe"); [[ "$exe" == *.dll ]] || run=("$exe")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
upstream_pid=
if [ "${BURST_UPSTREAM:-}" = 1 ]; then
  coproc UPSTREAM { exec node scripts/burst-upstream.mjs; }
  upstream_pid=$UPSTREAM_PID
  read -r upstream_port <&"${UPSTREAM[0]}"
  export OPENAI_COMPATIBLE_BASE_URL="http://127.0.0.1:$upstream_port/v1" OPENAI_COMPATIBLE_API_KEY=burst OPENAI_COMPATIBLE_MODELS=burst-model
  export BURST_MODEL=burst-model
fi
"${run[@]}" serve --port "$port" --log-level warning "$@" &
pid=$!
trap 'kill $pid $upstream_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
sleep 1
node scripts/burst.mjs "$port" "$pid" "$conns" "$size" "$rounds" "$idle"
