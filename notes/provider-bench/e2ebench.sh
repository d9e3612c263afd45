#!/usr/bin/env bash
# exai-ws chat round trips: local model (0 ms) vs the openai provider against the 0 ms fake upstream (fakeup, CPU 1).
set -euo pipefail
cd /work/wt-providers
exe=src/ExaiFast/bin/Release/net10.0/exaifast.dll
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
common="--log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000"
EXAI_WS_LOCAL_MAX_INFLIGHT=64 taskset -c 0 dotnet $exe serve --port 18601 $common >/dev/null 2>&1 & p1=$!
EXAI_WS_OPENAI_MAX_INFLIGHT=64 OPENAI_COMPATIBLE_BASE_URL=http://127.0.0.1:18501/v1 OPENAI_COMPATIBLE_MODELS=bench taskset -c 0 dotnet $exe serve --port 18602 $common >/dev/null 2>&1 & p2=$!
trap 'kill $p1 $p2' EXIT
sleep 4
for c in 1 16; do
  for t in "local 18601 $p1" "provider 18602 $p2"; do
    set -- $t
    taskset -c 1 dotnet $load call --target ws://127.0.0.1:$2/ --connections $c --size 32 --duration 1 --warmup 1 >/dev/null
    b=$(cpu_ticks $3)
    row=$(taskset -c 1 dotnet $load call --target ws://127.0.0.1:$2/ --connections $c --size 32 --duration 5 --warmup 0.5 --label "$1 c=$c")
    a=$(cpu_ticks $3)
    echo "$row | daemon CPU ticks $((a-b)) (hz $hz)"
  done
done
