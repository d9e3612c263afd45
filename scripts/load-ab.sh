#!/usr/bin/env bash
# A/B of call_tool (and /echo) between a baseline git revision and the working tree, in one invocation so the
# numbers compare as ratios on a noisy VM: both daemons run side by side and are measured alternately, twice each.
# The baseline is built in a temporary worktree. "server CPU" is the daemon's user+system time per round trip.
# Usage: scripts/load-ab.sh <baseline-rev> [duration_s=3] [connections="1 16 64"]
# AB_CURRENT_ENV="NAME=value ..." sets environment for the current daemon only: with HEAD as the baseline, an A/B of a
# runtime knob (e.g. AB_CURRENT_ENV=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 scripts/load-ab.sh HEAD).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/load-ab.sh <baseline-rev> [duration_s] [connections]}
duration=${2:-3}
conns=${3:-"1 16 64"}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
base=$(mktemp -d /tmp/exaifast-ab.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; git worktree remove --force "$base" >/dev/null 2>&1 || true; }
trap cleanup EXIT
git worktree add --detach "$base" "$rev" >/dev/null 2>&1
dotnet build "$base/src/ExaiFast" -c Release --verbosity quiet -nologo >/dev/null
for p in src/ExaiFast perf/ExaiFast.Load; do dotnet build "$p" -c Release --verbosity quiet -nologo >/dev/null; done
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
declare -A port pid
start() { # name, exe, extra environment
  local p; p=$(free_port)
  # shellcheck disable=SC2086 # the extra environment is a list of words on purpose
  env EXAI_WS_LOCAL_MAX_INFLIGHT=64 ${3:-} dotnet "$2" serve --port "$p" --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000 >/dev/null 2>&1 &
  pid[$1]=$!; pids+=($!); port[$1]=$p
}
start baseline "$base/src/ExaiFast/bin/Release/net10.0/exaifast.dll"
start current src/ExaiFast/bin/Release/net10.0/exaifast.dll "${AB_CURRENT_ENV:-}"
wait_port "${port[baseline]}"; wait_port "${port[current]}"
run() { # name, mode, path, conns
  local name=$1 mode=$2 path=$3 c=$4
  dotnet "$load" "$mode" --target "ws://127.0.0.1:${port[$name]}$path" --connections "$c" --size 32 --duration 1 --warmup 1 >/dev/null
  dotnet "$load" "$mode" --target "ws://127.0.0.1:${port[$name]}$path" --connections "$c" --size 32 --duration "$duration" --warmup 0.5 --label "$name $mode" --server-pid "${pid[$name]}"
}
echo "baseline: $(git rev-parse --short "$rev"); current: working tree${AB_CURRENT_ENV:+ with $AB_CURRENT_ENV}"
echo "| target | conns | bytes | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for c in $conns; do
  for round in 1 2; do
    run baseline call / "$c"; run current call / "$c"
  done
  run baseline ws /echo "$c"; run current ws /echo "$c"
done
