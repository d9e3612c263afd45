#!/usr/bin/env bash
# Where a call's CPU goes: profiles a warm daemon under closed-loop load with `perf record` and prints its CPU per call
# split by the part of the call path each sample was in (scripts/profile-parts.py). The daemon runs pinned to CPU 0,
# the generator to CPU 1; the JIT's perf map names managed frames (W^X off, or perf cannot read them).
# Usage: scripts/profile.sh [MODE=call] [SECONDS=10] [EXE=src/ExaiFast/bin/Release/net10.0/exaifast.dll]
#   MODE: call | mcp | mcp-http | ping (the generator's modes); WARM=25 seconds of load before recording.
# Needs perf (Debian: linux-perf) and permission to profile (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-call}
secs=${2:-10}
exe=${3:-src/ExaiFast/bin/Release/net10.0/exaifast.dll}
warm=${WARM:-25}
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build perf/ExaiFast.Load -c Release --verbosity quiet -nologo >/dev/null
[ -f "$exe" ] || dotnet build src/ExaiFast -c Release --verbosity quiet -nologo >/dev/null
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
work=$(mktemp -d /tmp/exaifast-profile.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 EXAI_WS_LOCAL_MAX_INFLIGHT=64 taskset -c 0 \
  dotnet "$exe" serve --port "$port" --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000 >/dev/null 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
case $mode in mcp-http) target="http://127.0.0.1:$port/mcp" ;; *) target="ws://127.0.0.1:$port/" ;; esac
taskset -c 1 dotnet "$load" "$mode" --target "$target" --connections 64 --size 32 --duration "$warm" --warmup 0 >/dev/null
taskset -c 1 dotnet "$load" "$mode" --target "$target" --connections 64 --size 32 --duration $((secs + 4)) --warmup 0.5 \
  --server-pid "$daemon" --label "$mode" --format json > "$work/load.json" &
generator=$!
sleep 2
perf record -F 2999 -g -p "$daemon" -o "$work/perf.data" -- sleep "$secs" >/dev/null 2>&1
wait $generator
perf script -i "$work/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null > "$work/stacks.txt"
python3 scripts/profile-parts.py "$work/stacks.txt" "$work/load.json" "$mode"
