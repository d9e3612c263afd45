#!/usr/bin/env bash
# A/B of the call path between a baseline git revision and the working tree, in one invocation so the numbers
# compare as ratios on a noisy VM: both daemons run side by side and are measured alternately, AB_ROUNDS times each.
# The baseline is built in a temporary worktree. "server CPU" is the daemon's user+system time per round trip.
# Usage: scripts/load-ab.sh <baseline-rev> [duration_s=3] [connections="1 16 64"]
# AB_MODES="call mcp mcp-http ws" picks what is measured (default "call ws": call_tool chat and /echo); AB_ROUNDS (2);
# AB_WARMUP seconds of load on each daemon before anything is measured (default 1; the JIT wants 15).
# AB_CURRENT_ENV="NAME=value ..." sets environment for the current daemon only: with HEAD as the baseline, an A/B of a
# runtime knob (e.g. AB_CURRENT_ENV=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 scripts/load-ab.sh HEAD).
# Daemons are pinned to CPU 0 and the generator to CPU 1 when there are two (PIN=0 turns it off).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/load-ab.sh <baseline-rev> [duration_s] [connections]}
duration=${2:-3}
conns=${3:-"1 16 64"}
modes=${AB_MODES:-"call ws"}
rounds=${AB_ROUNDS:-2}
warm=${AB_WARMUP:-1}
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  on_server=(taskset -c 0); on_load=(taskset -c 1)
else
  on_server=(); on_load=()
fi
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
  "${on_server[@]}" env EXAI_WS_LOCAL_MAX_INFLIGHT=64 ${3:-} dotnet "$2" serve --port "$p" --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000 >/dev/null 2>&1 &
  pid[$1]=$!; pids+=($!); port[$1]=$p
}
start baseline "$base/src/ExaiFast/bin/Release/net10.0/exaifast.dll"
start current src/ExaiFast/bin/Release/net10.0/exaifast.dll "${AB_CURRENT_ENV:-}"
wait_port "${port[baseline]}"; wait_port "${port[current]}"
target() { # name, mode
  case $2 in
    ws) echo "ws://127.0.0.1:${port[$1]}/echo" ;;
    mcp-http) echo "http://127.0.0.1:${port[$1]}/mcp" ;;
    *) echo "ws://127.0.0.1:${port[$1]}/" ;;
  esac
}
run() { # name, mode, conns
  local name=$1 mode=$2 c=$3
  "${on_load[@]}" dotnet "$load" "$mode" --target "$(target "$name" "$mode")" --connections "$c" --size 32 --duration "$duration" --warmup 0.5 --label "$name $mode" --server-pid "${pid[$name]}"
}
echo "baseline: $(git rev-parse --short "$rev"); current: working tree${AB_CURRENT_ENV:+ with $AB_CURRENT_ENV}; modes: $modes; $rounds rounds; ${warm} s warm-up each"
for name in baseline current; do
  for mode in $modes; do
    "${on_load[@]}" dotnet "$load" "$mode" --target "$(target "$name" "$mode")" --connections 64 --size 32 --duration "$warm" --warmup 0 >/dev/null
  done
done
echo "| target | conns | bytes | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for c in $conns; do
  for mode in $modes; do
    for round in $(seq 1 "$rounds"); do
      run baseline "$mode" "$c"; run current "$mode" "$c"
    done
  done
done
