#!/usr/bin/env bash
# End-to-end comparison: ExaiFast beside the baselines a developer would write, each scenario run on every contender
# in interleaved rounds (round 1: every contender once, round 2: again, …), medians reported.
#   echo       64 conns, 32 B   ExaiFast /echo | stock Kestrel WebSocket echo | raw TCP echo on sockets (the ceiling)
#   ping       64 conns         exai-ws ping → pong: ExaiFast | minimal Kestrel exai daemon (perf/KestrelExai)
#   call       64 and 1 conns   call_tool chat (local model, 0 ms) → ack + result: ExaiFast | the minimal exai daemon
#                               (kestrel-min: KestrelExai --fixed-answer, a constant result, no tool work) | the same
#                               daemon doing the local model's work (kestrel-exai: word count, SHA-256, excerpt)
#   mcp        64 and 1 conns   MCP tools/call over WebSocket: ExaiFast | the minimal JSON-RPC daemon (kestrel-min) |
#                               the same with the local model's work (kestrel-exai)
#   mcp-http   64 conns         MCP tools/call over Streamable HTTP: ExaiFast | the official MCP C# SDK server
#   open       64 conns         open loop at 0.5× each daemon's probed capacity, chat at 10 ms (capacity = workers)
#   overload   64 conns         open loop at 10× that capacity: refusals and accepted calls timed apart
#   cold       64 conns         call_tool on a fresh ExaiFast and a fresh kestrel-min, each measured over its first
#                               5 s of load, from the first send (the generator is fresh too in every run)
#   idle       N conns + hello  server RSS per idle connection, fresh daemons
# Before round 1 every server runs --warm seconds (15) of unmeasured load on each protocol it is measured on: tiered
# JIT and dynamic PGO, the GC's heap sizing and the thread pool settle over the first seconds, and a round that met
# them would measure the warm-up (the cold scenario measures exactly that, on purpose).
# Servers are pinned to CPU 0 and the generator to CPU 1 (taskset, when nproc ≥ 2; PIN=0 turns it off). Server CPU
# per call comes from /proc, so "per core" ratios do not depend on the generator keeping up.
# ExaiFast runs twice: with admission limits raised (throughput scenarios: the load, not admission, is measured) and
# as shipped (open and overload: admission is what is measured).
# --model-path then runs scripts/bench-model-path.sh (ExaiFast and Portkey's gateway in front of a model server that
# answers at once; needs Node, and npm once) with the same rounds and warm-up, its section in the report.
# Writes the generated section of perf/RESULTS.md (between the bench.sh markers) unless --no-write.
# Usage: scripts/bench.sh [--quick] [--rounds N] [--warm SECONDS] [--model-path] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="scripts/bench.sh $*"
quick=0; rounds=3; write=1; warm=; model_path=0
usage="usage: scripts/bench.sh [--quick] [--rounds N] [--warm SECONDS] [--model-path] [--no-write]"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; rounds=1 ;;
    --rounds) rounds=$2; shift ;;
    --warm) warm=$2; shift ;;
    --model-path) model_path=1 ;;
    --no-write) write=0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
# --quick proves the whole thing runs (a few minutes of runs after the build and a short warm-up on an idle 2-core
# machine; far longer on a loaded one); its numbers are not for quoting.
if [ $quick = 1 ]; then duration=0.5; warmup=0.2; idle_conns=1000; idle_hold=0.5; probe=0.5; cold=0.5; warm=${warm:-0.5}
else duration=5; warmup=1; idle_conns=10000; idle_hold=3; probe=2; cold=5; warm=${warm:-15}; fi
if ! [[ $warm =~ ^[0-9]+(\.[0-9]+)?$ ]] || [ "$warm" = 0 ]; then echo "--warm takes a number of seconds > 0, not '$warm'" >&2; exit 2; fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Ten thousand idle connections are ten thousand descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fds=$(ulimit -n)
if [ "$fds" != unlimited ] && [ "$fds" -le $((idle_conns + 1000)) ]; then
  idle_conns=$((fds - 1000)); echo "ulimit -n is $fds: idle scenario with $idle_conns connections" >&2
fi

for p in src/ExaiFast perf/ExaiFast.Load perf/KestrelEcho perf/KestrelExai perf/McpSdkHttpServer; do
  dotnet build "$p" -c Release --verbosity quiet -nologo >/dev/null
done
exe=src/ExaiFast/bin/Release/net10.0/exaifast.dll
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
kestrel_echo=perf/KestrelEcho/bin/Release/net10.0/KestrelEcho.dll
kestrel_exai=perf/KestrelExai/bin/Release/net10.0/KestrelExai.dll
mcpsdk=perf/McpSdkHttpServer/bin/Release/net10.0/McpSdkHttpServer.dll
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  on_server=(taskset -c 0); on_load=(taskset -c 1); pinning="servers on CPU 0, generator on CPU 1 (taskset)"
else
  on_server=(); on_load=(); pinning="not pinned"
fi

out=$(mktemp -d /tmp/exaifast-bench.XXXXXX)
results=$out/results.jsonl
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

declare -A port pid
start() { # name, then the command (PORT is replaced by a free port)
  local name=$1; shift; local p; p=$(free_port)
  "${on_server[@]}" "${@//PORT/$p}" >"$out/$name.log" 2>&1 & pid[$name]=$!; pids+=($!); port[$name]=$p
}
stop() { kill "${pid[$1]}" 2>/dev/null || true; wait "${pid[$1]}" 2>/dev/null || true; }
raised=(--global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000)
many=(--max-connections 20000 --max-connections-per-ip 20000)
exaifast_raised=(env EXAI_WS_LOCAL_MAX_INFLIGHT=64 dotnet "$exe" serve --port PORT --log-level warning "${raised[@]}")
kestrel_min=(dotnet "$kestrel_exai" --fixed-answer --urls http://127.0.0.1:PORT)
start exaifast          "${exaifast_raised[@]}"
start exaifast-shipped  dotnet "$exe" serve --port PORT --log-level warning
start kestrel-echo      dotnet "$kestrel_echo" --urls http://127.0.0.1:PORT
start kestrel-exai      dotnet "$kestrel_exai" --urls http://127.0.0.1:PORT
start kestrel-min       "${kestrel_min[@]}"
start mcp-sdk           dotnet "$mcpsdk" --port PORT
start tcp-echo          env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$load" tcp-echo-server --target 127.0.0.1:PORT
for name in "${!port[@]}"; do wait_port "${port[$name]}"; done

run() { # round, scenario, contender (server name), mode, target, conns, extra options…
  local round=$1 scenario=$2 contender=$3 mode=$4 target=$5 c=$6; shift 6
  local json status=0
  json=$("${on_load[@]}" dotnet "$load" "$mode" --target "$target" --connections "$c" --size 32 --duration "$duration" \
      --warmup "$warmup" --probe "$probe" --server-pid "${pid[$contender]}" --format json --label "$scenario/$contender" "$@" 2>>"$out/load.err") || status=$?
  if [ "$round" = warm ]; then return 0; fi
  if [ $status = 0 ]; then
    printf '{"round":%s,"scenario":"%s","contender":"%s","result":%s}\n' "$round" "$scenario" "$contender" "$json" >>"$results"
    printf '  %-10s %-18s %s\n' "$scenario" "$contender" "$(python3 scripts/bench-report.py --line "$json")" >&2
  else
    printf '  %-10s %-18s measured nothing (exit %s; %s)\n' "$scenario" "$contender" "$status" "$out/load.err" >&2
  fi
}

ws() { echo "ws://127.0.0.1:${port[$1]}$2"; }
# The warm-up: $warm s of unmeasured load on every server and protocol before round 1 (the MCP SDK server, for one,
# can take longer than a --quick run to answer its first call).
warm_up() { local duration=$warm warmup=0; run warm "$@"; }
# A cold run: the window opens at the first send of the generator's first call.
cold_run() { local duration=$cold warmup=0; run "$@" --measure-from start; }
echo "warm-up: ${warm} s of load per server and protocol" >&2
warm_up echo exaifast     ws  "$(ws exaifast /echo)" 64
warm_up echo kestrel-echo ws  "$(ws kestrel-echo /)" 64
warm_up echo tcp-echo     tcp "127.0.0.1:${port[tcp-echo]}" 64
for server in exaifast kestrel-exai; do
  warm_up ping "$server" ping "$(ws "$server" /)" 64
done
for server in exaifast kestrel-min kestrel-exai; do
  warm_up call "$server" call "$(ws "$server" /)" 64
  warm_up mcp  "$server" mcp  "$(ws "$server" /)" 64
done
warm_up call exaifast-shipped call "$(ws exaifast-shipped /)" 64 --tool-latency-ms 10
warm_up mcp-http exaifast mcp-http "http://127.0.0.1:${port[exaifast]}/mcp" 64
warm_up mcp-http mcp-sdk  mcp-http "http://127.0.0.1:${port[mcp-sdk]}/" 64
start_s=$(date +%s)
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds" >&2
  run "$round" echo exaifast     ws  "$(ws exaifast /echo)" 64
  run "$round" echo kestrel-echo ws  "$(ws kestrel-echo /)" 64
  run "$round" echo tcp-echo     tcp "127.0.0.1:${port[tcp-echo]}" 64
  run "$round" ping exaifast     ping "$(ws exaifast /)" 64
  run "$round" ping kestrel-exai ping "$(ws kestrel-exai /)" 64
  for server in exaifast kestrel-min kestrel-exai; do run "$round" call "$server" call "$(ws "$server" /)" 64; done
  for server in exaifast kestrel-min kestrel-exai; do run "$round" call-1 "$server" call "$(ws "$server" /)" 1; done
  for server in exaifast kestrel-min kestrel-exai; do run "$round" mcp "$server" mcp "$(ws "$server" /)" 64; done
  for server in exaifast kestrel-min kestrel-exai; do run "$round" mcp-1 "$server" mcp "$(ws "$server" /)" 1; done
  run "$round" mcp-http exaifast mcp-http "http://127.0.0.1:${port[exaifast]}/mcp" 64
  run "$round" mcp-http mcp-sdk  mcp-http "http://127.0.0.1:${port[mcp-sdk]}/" 64
  run "$round" open exaifast-shipped call "$(ws exaifast-shipped /)" 64 --rate 0.5x --tool-latency-ms 10
  run "$round" open kestrel-exai     call "$(ws kestrel-exai /)" 64 --rate 0.5x --tool-latency-ms 10
  run "$round" overload exaifast-shipped call "$(ws exaifast-shipped /)" 64 --rate 10x --tool-latency-ms 10
  run "$round" overload kestrel-exai     call "$(ws kestrel-exai /)" 64 --rate 10x --tool-latency-ms 10
  # Cold: each daemon fresh and alone on its core, measured from its first call.
  start cold-exaifast "${exaifast_raised[@]}"; wait_port "${port[cold-exaifast]}"
  cold_run "$round" cold cold-exaifast call "$(ws cold-exaifast /)" 64
  stop cold-exaifast
  start cold-kestrel-min "${kestrel_min[@]}"; wait_port "${port[cold-kestrel-min]}"
  cold_run "$round" cold cold-kestrel-min call "$(ws cold-kestrel-min /)" 64
  stop cold-kestrel-min
  # Idle memory on fresh daemons: what the earlier scenarios left in their heaps would hide the growth.
  start idle-exaifast dotnet "$exe" serve --port PORT --log-level warning "${many[@]}"
  start idle-kestrel  dotnet "$kestrel_exai" --urls http://127.0.0.1:PORT
  wait_port "${port[idle-exaifast]}"; wait_port "${port[idle-kestrel]}"
  duration_saved=$duration; duration=$idle_hold
  run "$round" idle idle-exaifast idle "$(ws idle-exaifast /)" "$idle_conns"
  run "$round" idle idle-kestrel  idle "$(ws idle-kestrel /)" "$idle_conns"
  duration=$duration_saved
  stop idle-exaifast; stop idle-kestrel
done
elapsed=$(( $(date +%s) - start_s ))
extra=()
if [ $model_path = 1 ]; then
  # Its own servers, on the same cores: these go first.
  cleanup; pids=()
  quick_flag=(); [ $quick = 1 ] && quick_flag=(--quick)
  if scripts/bench-model-path.sh "${quick_flag[@]}" --rounds "$rounds" --warm "$warm" >"$out/model-path.md"; then
    extra=(--append "$out/model-path.md")
  else
    echo "scripts/bench-model-path.sh failed: no model-path section" >&2
  fi
fi

machine="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r), .NET SDK $(dotnet --version)"
report_args=(--results "$results" --machine "$machine" --command "$command_line" --pinning "$pinning"
  --settings "rounds $rounds, every server warmed ${warm} s per protocol before round 1, ${duration} s measured after ${warmup} s warm-up per run, cold runs ${cold} s from the first call, 32-byte payloads, idle $idle_conns connections held ${idle_hold} s, ${elapsed} s in all")
python3 scripts/bench-report.py "${report_args[@]}" "${extra[@]}"
if [ $write = 1 ]; then
  python3 scripts/bench-report.py "${report_args[@]}" "${extra[@]}" --write perf/RESULTS.md
  echo "wrote perf/RESULTS.md (raw results: $results)" >&2
fi
