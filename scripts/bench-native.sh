#!/usr/bin/env bash
# Builds of the daemon side by side (by default the native binary against the JIT build): for each, a fresh daemon's
# first 5 s of call_tool load (measured from its first call), then 20 s more load, then 5 s warm; RSS before any load.
# Fresh daemons every round, rounds interleaved, servers on CPU 0 and the generator on CPU 1.
# Usage: scripts/bench-native.sh [ROUNDS=2] [NATIVE=artifacts/native/bin/exaifast | LABEL=PATH...]
#   LABEL=PATH pairs name the builds to compare (a PATH ending in .dll runs under dotnet), e.g.
#   scripts/bench-native.sh 3 native=artifacts/native/bin/exaifast r2r=/tmp/r2r/exaifast.dll JIT=src/ExaiFast/bin/Release/net10.0/exaifast.dll
#   (scripts/install.sh --prefix artifacts/native publishes the native binary; scripts/test.sh does it too.)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
shift || true
jit=src/ExaiFast/bin/Release/net10.0/exaifast.dll
labels=(); paths=()
if [ $# -eq 0 ] || [[ "$1" != *=* ]]; then
  labels=(native JIT); paths=("${1:-artifacts/native/bin/exaifast}" "$jit")
else
  for pair in "$@"; do labels+=("${pair%%=*}"); paths+=("${pair#*=}"); done
fi
for path in "${paths[@]}"; do
  [ "$path" = "$jit" ] || [ -e "$path" ] || { echo "bench-native.sh: no build at $path (the native binary: scripts/install.sh --prefix artifacts/native)" >&2; exit 2; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for p in src/ExaiFast perf/ExaiFast.Load; do dotnet build "$p" -c Release --verbosity quiet -nologo >/dev/null; done
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then on_server=(taskset -c 0); on_load=(taskset -c 1); else on_server=(); on_load=(); fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
daemon=
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true' EXIT
flags=(serve --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000)

measure() { # label, command...
  local label=$1; shift
  local port; port=$(free_port)
  EXAI_WS_LOCAL_MAX_INFLIGHT=64 "${on_server[@]}" "$@" "${flags[@]}" --port "$port" >/dev/null 2>&1 &
  daemon=$!
  wait_port "$port"
  local rss; rss=$(awk '/VmRSS/{print $2}' /proc/$daemon/status)
  "${on_load[@]}" dotnet "$load" call --target "ws://127.0.0.1:$port/" --connections 64 --size 32 --duration 5 --measure-from start \
    --server-pid "$daemon" --label "$label, first 5 s (RSS at start $rss KiB)" | tail -n 1
  "${on_load[@]}" dotnet "$load" call --target "ws://127.0.0.1:$port/" --connections 64 --size 32 --duration 20 --warmup 0 >/dev/null
  "${on_load[@]}" dotnet "$load" call --target "ws://127.0.0.1:$port/" --connections 64 --size 32 --duration 5 --warmup 1 \
    --server-pid "$daemon" --label "$label, after 20 s more" | tail -n 1
  kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=
}

for i in "${!labels[@]}"; do echo "${labels[$i]}: ${paths[$i]} ($(stat -c %s "${paths[$i]}") bytes)"; done
echo "$rounds rounds"
echo "| target | conns | bytes | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for round in $(seq 1 "$rounds"); do
  for i in "${!labels[@]}"; do
    if [[ "${paths[$i]}" == *.dll ]]; then measure "${labels[$i]}" dotnet "${paths[$i]}"; else measure "${labels[$i]}" "${paths[$i]}"; fi
  done
done
