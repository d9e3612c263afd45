#!/usr/bin/env bash
# The model path: what ExaiFast adds to a chat call whose model server answers at once (scripts/bench-fake-openai.mjs),
# beside what an AI gateway adds for the same job (Portkey's, npm @portkey-ai/gateway 1.15.2, offline). Closed loop at
# 1 connection, then open loop at 2,000 calls/s (16 connections); interleaved rounds, medians.
#   direct          the streamed chat/completions request ExaiFast sends, straight to the fake server
#   exaifast-call   exai-ws call_tool chat through ExaiFast (OPENAI_COMPATIBLE_* pointing at the fake server)
#   exaifast-mcp    MCP tools/call chat over WebSocket through ExaiFast
#   direct-json     the same request not streamed, straight to the fake server
#   portkey         the non-streamed request through Portkey (x-portkey-provider: openai, x-portkey-custom-host: the fake
#                   server; retry attempts 2, as ExaiFast's default of 2 retries)
# Added latency = through − direct at the same percentile: ExaiFast against the streamed request (it always streams
# upstream), Portkey against the non-streamed one. Portkey 1.15.2 on Node fails every streamed answer it passes
# through (TypeError: immutable in its updateHeaders; Portkey-AI/gateway#1389 and #1550), so it is measured without
# streaming; @hono/node-server is held at 1.14.2, the last version its non-streamed path works with.
# ExaiFast and Portkey are pinned to CPU 0, the fake server and the generator to CPU 1 (PIN=0 turns it off): a direct
# call crosses one core, a call through crosses both, as on a machine where the model server is elsewhere.
# Portkey is installed once into PORTKEY_DIR (default ~/.cache/exaifast-portkey-1.15.2); without it (npm offline) its
# rows are left out.
# Usage: scripts/bench-model-path.sh [--quick] [--rounds N] [--warm SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="scripts/bench-model-path.sh $*"
quick=0; rounds=3; warm=
usage="usage: scripts/bench-model-path.sh [--quick] [--rounds N] [--warm SECONDS]"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; rounds=1 ;;
    --rounds) rounds=$2; shift ;;
    --warm) warm=$2; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
# --quick proves the script runs; its numbers are not for quoting.
if [ $quick = 1 ]; then duration=0.5; warmup=0.2; warm=${warm:-0.5}; else duration=5; warmup=1; warm=${warm:-15}; fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for p in src/ExaiFast perf/ExaiFast.Load; do
  dotnet build "$p" -c Release --verbosity quiet -nologo >/dev/null
done
exe=src/ExaiFast/bin/Release/net10.0/exaifast.dll
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
portkey_dir=${PORTKEY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/exaifast-portkey-1.15.2}
portkey=$portkey_dir/node_modules/@portkey-ai/gateway/build/start-server.js
if [ ! -f "$portkey" ]; then
  mkdir -p "$portkey_dir"
  printf '%s\n' '{ "private": true, "dependencies": { "@portkey-ai/gateway": "1.15.2" }, "overrides": { "@hono/node-server": "1.14.2" } }' >"$portkey_dir/package.json"
  (cd "$portkey_dir" && npm install --no-audit --no-fund --loglevel=error >&2) || echo "npm install of @portkey-ai/gateway failed: no Portkey rows" >&2
fi
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  on_server=(taskset -c 0); on_load=(taskset -c 1); pinning="ExaiFast and Portkey on CPU 0, the fake model server and the generator on CPU 1 (taskset)"
else
  on_server=(); on_load=(); pinning="not pinned"
fi

out=$(mktemp -d /tmp/exaifast-model-path.XXXXXX)
results=$out/results.jsonl
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
declare -A port pid
start() { # name, where (server or load), then the command (PORT is replaced by a free port)
  local name=$1 where=$2; shift 2; local p; p=$(free_port)
  local -n on="on_$where"
  "${on[@]}" "${@//PORT/$p}" >"$out/$name.log" 2>&1 & pid[$name]=$!; pids+=($!); port[$name]=$p
}
start fake load node scripts/bench-fake-openai.mjs PORT
wait_port "${port[fake]}"
upstream="http://127.0.0.1:${port[fake]}/v1"
start exaifast server env OPENAI_COMPATIBLE_BASE_URL="$upstream" OPENAI_COMPATIBLE_MODELS=bench EXAI_WS_OPENAI_MAX_INFLIGHT=64 \
  dotnet "$exe" serve --port PORT --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000
contenders=(direct exaifast-call exaifast-mcp direct-json)
if [ -f "$portkey" ]; then
  start portkey server node "$portkey" --port=PORT --headless
  contenders+=(portkey)
fi
for name in "${!port[@]}"; do wait_port "${port[$name]}"; done

run() { # round, scenario, contender, connections, extra options…
  local round=$1 scenario=$2 contender=$3 c=$4; shift 4
  local target mode server_pid=() json status=0
  case $contender in
    direct) mode=chat-http; target="$upstream/chat/completions"; server_pid=(--server-pid "${pid[fake]}") ;;
    direct-json) mode=chat-http; target="$upstream/chat/completions"; server_pid=(--server-pid "${pid[fake]}"); set -- "$@" --stream no ;;
    exaifast-call) mode=call; target="ws://127.0.0.1:${port[exaifast]}/"; server_pid=(--server-pid "${pid[exaifast]}") ;;
    exaifast-mcp) mode=mcp; target="ws://127.0.0.1:${port[exaifast]}/"; server_pid=(--server-pid "${pid[exaifast]}") ;;
    portkey) mode=chat-http; target="http://127.0.0.1:${port[portkey]}/v1/chat/completions"; server_pid=(--server-pid "${pid[portkey]}")
      set -- "$@" --stream no --header "x-portkey-provider: openai" --header "x-portkey-custom-host: $upstream" --header 'x-portkey-config: {"retry":{"attempts":2}}' ;;
  esac
  json=$("${on_load[@]}" dotnet "$load" "$mode" --target "$target" --connections "$c" --size 32 --duration "$duration" \
      --warmup "$warmup" "${server_pid[@]}" --format json --label "$scenario/$contender" "$@" 2>>"$out/load.err") || status=$?
  if [ "$round" = warm ]; then return 0; fi
  # Exit 1 with a result: nothing was answered inside the window (a gateway past its capacity), which is a result too.
  if [ $status = 0 ] || { [ $status = 1 ] && [ "${json:0:1}" = "{" ]; }; then
    printf '{"round":%s,"scenario":"%s","contender":"%s","result":%s}\n' "$round" "$scenario" "$contender" "$json" >>"$results"
    printf '  %-8s %-14s %s%s\n' "$scenario" "$contender" "$(python3 scripts/bench-report.py --line "$json")" "$([ $status = 1 ] && echo "  (nothing answered in the window)")" >&2
  else
    printf '  %-8s %-14s measured nothing (exit %s; %s)\n' "$scenario" "$contender" "$status" "$out/load.err" >&2
  fi
}

echo "warm-up: ${warm} s of load per contender" >&2
for contender in "${contenders[@]}"; do
  ( duration=$warm warmup=0; run warm warm "$contender" 16 )
done
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds" >&2
  for contender in "${contenders[@]}"; do run "$round" c1 "$contender" 1; done
  for contender in "${contenders[@]}"; do run "$round" open2k "$contender" 16 --rate 2000; done
done

python3 - "$results" "$command_line" "$pinning" "rounds $rounds, every contender warmed ${warm} s, ${duration} s measured after ${warmup} s warm-up per run" <<'PY'
import json, statistics, sys
path, command, pinning, settings = sys.argv[1:5]
runs = {}
for l in open(path):
    if l.strip():
        r = json.loads(l)
        runs.setdefault((r["scenario"], r["contender"]), []).append(r["result"])
def answered(rs):
    """The rounds in which some call was answered: a run past capacity may answer none inside its window."""
    return [r for r in rs if r.get("ok")]
def med(rs, *keys):
    vals = []
    for r in rs:
        v = r
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(v)
    return statistics.median(vals) if vals else None
def f(v, d=0):
    return "–" if v is None else f"{v:,.{d}f}"
names = {"direct": "direct to the fake server (streamed)", "direct-json": "direct to the fake server (not streamed)",
         "exaifast-call": "through ExaiFast, exai-ws call_tool", "exaifast-mcp": "through ExaiFast, MCP tools/call over WebSocket",
         "portkey": "through Portkey's gateway 1.15.2 (not streamed)"}
base_of = {"exaifast-call": "direct", "exaifast-mcp": "direct", "portkey": "direct-json"}
titles = {"c1": "1 connection, closed loop", "open2k": "open loop at 2,000 calls/s, 16 connections"}
print(f"### The model path (scripts/bench-model-path.sh)\n\n- Command: `{command}`\n- Pinning: {pinning}\n- Runs: {settings}; medians over the rounds.\n")
print("| scenario | path | calls/s | p50 µs | p99 µs | added p50 µs | added p99 µs | server CPU µs/call | notes |\n|---|---|---:|---:|---:|---:|---:|---:|---|")
added = {}
for s in ("c1", "open2k"):
    for c in ("direct", "exaifast-call", "exaifast-mcp", "direct-json", "portkey"):
        every = runs.get((s, c))
        if not every:
            continue
        rs = answered(every)
        p50, p99 = med(rs, "latency_us", "p50"), med(rs, "latency_us", "p99")
        b = answered(runs.get((s, base_of.get(c)), []))
        a50 = p50 - med(b, "latency_us", "p50") if b and p50 is not None else None
        a99 = p99 - med(b, "latency_us", "p99") if b and p99 is not None else None
        added[(s, c)] = (a50, a99, len(rs) < len(every))
        note = f"nothing answered inside the window in {len(every) - len(rs)} of {len(every)} rounds (lost {f(med(every, 'lost'))})" if len(rs) < len(every) else ""
        print(f"| {titles[s]} | {names[c]} | {f(med(every, 'calls_per_s'))} | {f(p50)} | {f(p99)} | {f(a50)} | {f(a99)} | {f(med(every, 'server_cpu_us_per_call'), 1)} | {note} |")
print("\nserver CPU is the process named in the path: the fake server for direct, ExaiFast, or Portkey.\n")
print("| target | measured | standing |\n|---|---|---|")
def standing(ok):
    return "no data" if ok is None else ("**met**" if ok else "**not met**")
for c in ("exaifast-call", "exaifast-mcp"):
    a50, a99, _ = added.get(("c1", c), (None, None, False))
    ok = None if a50 is None or a99 is None else a50 <= 150 and a99 <= 1000
    print(f"| {names[c]}, 1 connection: adds ≤ 150 µs at p50 and ≤ 1 ms at p99 | +{f(a50)} µs p50, +{f(a99)} µs p99 | {standing(ok)} |")
    for s in ("c1", "open2k"):
        e, p = added.get((s, c), (None, None, False)), added.get((s, "portkey"), (None, None, False))
        if p[2] and e[0] is not None and not e[2]:
            # Portkey past its capacity answered nothing in some round; the daemon answered in every one.
            print(f"| {names[c]}, {titles[s]}: adds less than Portkey at p50 | +{f(e[0])} µs; Portkey answered nothing inside the window in some rounds | {standing(True)} |")
            continue
        ok = None if None in (e[0], p[0]) else e[0] < p[0]
        print(f"| {names[c]}, {titles[s]}: adds less than Portkey at p50 | +{f(e[0])} vs +{f(p[0])} µs (p99 +{f(e[1])} vs +{f(p[1])} µs) | {standing(ok)} |")
PY
echo "raw results: $results" >&2
