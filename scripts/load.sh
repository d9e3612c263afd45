#!/usr/bin/env bash
# End-to-end echo load (exaifast's echo lives at /echo; / speaks exai-ws). Every target runs in the same invocation, so the numbers compare as ratios:
#   exaifast (defaults: BCL streams + inline socket completions), exaifast with --socket-inline-completions off,
#   exaifast on Pipelines.Sockets.Unofficial, stock Kestrel (ASP.NET Core WebSockets), Node ws, and a raw TCP
#   echo (no WebSocket at all: the kernel's ceiling); plus exai-ws call_tool round trips (chat on the offline local model
#   at 0 ms, a --size-byte prompt) on the same exaifast process as its echo, to price the dispatch path; and the same call
#   as MCP tools/call over WebSocket and over Streamable HTTP, beside the official MCP C# SDK's ASP.NET Core server.
# Each target gets a warm-up run first; then a measured run. "server CPU" is the server process's user+system
# time (from /proc, read by the generator over the measured window) divided by the round trips: the cost per
# message, less noisy than throughput on a shared VM. (scripts/bench.sh is the end-to-end comparison with the minimal
# Kestrel daemons, open loop, overload and idle memory; this script is the wider echo matrix.)
# Usage: scripts/load.sh [duration_s=5] [connections="1 16 64"] [sizes="32 4096"]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
conns=${2:-"1 16 64"}
sizes=${3:-"32 4096"}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

[ -d tests/clients/node_modules/ws ] || (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
for p in src/ExaiFast perf/ExaiFast.Load perf/KestrelEcho perf/McpSdkHttpServer; do dotnet build "$p" -c Release --verbosity quiet -nologo >/dev/null; done
exe=src/ExaiFast/bin/Release/net10.0/exaifast.dll
load=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load.dll
kestrel=perf/KestrelEcho/bin/Release/net10.0/KestrelEcho.dll
mcpsdk=perf/McpSdkHttpServer/bin/Release/net10.0/McpSdkHttpServer.dll
# Servers on CPU 0, the load generator on CPU 1 (when there are two): CPU per call is then measured, not hidden by a
# second core. PIN=0 turns it off.
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  on_server=(taskset -c 0); on_load=(taskset -c 1)
else
  on_server=(); on_load=()
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

declare -A port pid
start() { # name, then the command (PORT is replaced by a free port)
  local name=$1; shift; local p; p=$(free_port)
  "${on_server[@]}" "${@//PORT/$p}" >/dev/null 2>&1 & pid[$name]=$!; pids+=($!); port[$name]=$p
}
# Limits raised so the load, not admission, is what is measured (each connection is its own session).
start exaifast       env EXAI_WS_LOCAL_MAX_INFLIGHT=64 dotnet "$exe" serve --port PORT --log-level warning --global-max-inflight 1000 --session-max-inflight 100 --queue-depth 1000
start exaifast-noinl dotnet "$exe" serve --port PORT --log-level warning --socket-inline-completions off
start exaifast-psu   dotnet "$exe" serve --port PORT --log-level warning --transport sockets
start kestrel        dotnet "$kestrel" --urls http://127.0.0.1:PORT
start node           node tests/clients/ws-echo-server.mjs PORT
start mcp-sdk        dotnet "$mcpsdk" --port PORT
start tcp            env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$load" tcp-echo-server --target 127.0.0.1:PORT
for name in "${!port[@]}"; do wait_port "${port[$name]}"; done

run() { # name, label, mode, target, conns, size
  local name=$1 label=$2 mode=$3 target=$4 c=$5 size=$6
  "${on_load[@]}" dotnet "$load" "$mode" --target "$target" --connections "$c" --size "$size" --duration 1 --warmup 1 >/dev/null
  "${on_load[@]}" dotnet "$load" "$mode" --target "$target" --connections "$c" --size "$size" --duration "$duration" --warmup 0.5 --label "$label" --server-pid "${pid[$name]}"
}

echo "| target | conns | bytes | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for size in $sizes; do
  for c in $conns; do
    run exaifast       "exaifast"                 ws  "ws://127.0.0.1:${port[exaifast]}/echo"       "$c" "$size"
    run exaifast       "exaifast call_tool chat (local model, 0 ms)" call "ws://127.0.0.1:${port[exaifast]}/" "$c" "$size"
    run exaifast       "exaifast MCP tools/call chat (same call, JSON-RPC)" mcp "ws://127.0.0.1:${port[exaifast]}/" "$c" "$size"
    run exaifast       "exaifast MCP tools/call over Streamable HTTP (keep-alive, stateless)" mcp-http "http://127.0.0.1:${port[exaifast]}/mcp" "$c" "$size"
    run mcp-sdk        "MCP C# SDK 2.4.0 server (ASP.NET Core, stateless), same call" mcp-http "http://127.0.0.1:${port[mcp-sdk]}/" "$c" "$size"
    run exaifast-noinl "exaifast, inline off"     ws  "ws://127.0.0.1:${port[exaifast-noinl]}/echo" "$c" "$size"
    run exaifast-psu   "exaifast, PSU transport"  ws  "ws://127.0.0.1:${port[exaifast-psu]}/echo"   "$c" "$size"
    run kestrel        "Kestrel (stock)"          ws  "ws://127.0.0.1:${port[kestrel]}/"        "$c" "$size"
    run node           "Node ws"                  ws  "ws://127.0.0.1:${port[node]}/"           "$c" "$size"
    run tcp            "raw TCP echo (ceiling)"   tcp "127.0.0.1:${port[tcp]}"                  "$c" "$size"
  done
done
