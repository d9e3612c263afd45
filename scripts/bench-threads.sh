#!/usr/bin/env bash
# What a thread continuation adds per call, in memory and with Redis, beside plain chat calls, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
EX=src/ExaiFast/bin/Release/net10.0/exaifast
L=perf/ExaiFast.Load/bin/Release/net10.0/exaifast-load
command -v redis-server >/dev/null || { echo "bench-threads: redis-server is needed (scripts/setup.sh installs it)" >&2; exit 1; }
dir=$(mktemp -d)
taskset -c 0 redis-server --port 16399 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/r.pid" >/dev/null
sleep 0.5
taskset -c 0 $EX serve --port 18941 > "$dir/a.log" 2>&1 & A=$!
REDIS_URL=redis://127.0.0.1:16399 taskset -c 0 $EX serve --port 18942 > "$dir/b.log" 2>&1 & B=$!
sleep 2
for round in 1 2 3; do
  for t in mem:$A:18941 redis:$B:18942; do
    IFS=: read -r name pid port <<<"$t"
    taskset -c 1 $L call --target ws://127.0.0.1:$port/ --connections 8 --duration 3 --warmup 1 --server-pid $pid --label "$name plain" 2>&1 | grep '^| ' | tail -1
    taskset -c 1 $L call --target ws://127.0.0.1:$port/ --connections 8 --duration 3 --warmup 1 --server-pid $pid --turns 20 --label "$name turns=20" 2>&1 | grep '^| ' | tail -1
  done
done
kill $A $B; kill "$(cat $dir/r.pid)"; wait 2>/dev/null || true
