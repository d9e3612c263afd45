#!/usr/bin/env bash
# A soak: two daemons sharing a Redis behind nginx, a model server that fails on purpose, and every door driven for
# MINUTES (default 30) by scripts/soak-driver.mjs, which samples the daemons every 10 s and ends with one verdict line.
# Exit 0 on PASS, 1 on FAIL, 2 when something it needs is missing.
# Usage: scripts/soak.sh [MINUTES]   (fractions allowed; CI runs 1)
# SOAK_OPEN_RATE   calls/s of the open loop (default 10)
# SOAK_FAULTS      the model server's fault ratios (see scripts/soak-fake-model.mjs)
# SOAK_INJECT      make the soak fail on purpose, to see a check turn red: drop (an answer ignored), twice (one
#                  counted twice), rss (big stored results after the baseline), inflight (a call left running), fds
#                  (a connection left open); comma-separated
# SOAK_KEEP=1      keep the temp dir (logs, configs) even on PASS
# SOAK_NATIVE_B=1  daemon b runs the native binary (artifacts/native/bin/exaifast, from scripts/install.sh) beside a
#                  JIT-built a: the native one has no JIT code or runtime DLL mappings, so its RSS says more
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

minutes=${1:-30}
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] && awk "BEGIN{exit !($minutes > 0)}" \
  || { echo "soak: MINUTES must be a positive number, got '$minutes'" >&2; exit 2; }

fail_setup() { echo "soak: $*" >&2; exit 2; }
dll=$root/src/ExaiFast/bin/Release/net10.0/exaifast.dll
[ -f "$dll" ] || fail_setup "$dll is missing: run 'dotnet build ExaiFast.sln -c Release'"
native=$root/artifacts/native/bin/exaifast
[ "${SOAK_NATIVE_B:-0}" != 1 ] || [ -x "$native" ] || fail_setup "$native is missing: run scripts/install.sh"
[ -d "$root/tests/clients/node_modules/ws" ] || fail_setup "tests/clients/node_modules is missing: run scripts/setup.sh"
command -v node >/dev/null || fail_setup "node is missing: run scripts/setup.sh"
command -v curl >/dev/null || fail_setup "curl is missing"
redis=$(command -v redis-server || true); [ -n "$redis" ] || { [ -x /usr/bin/redis-server ] && redis=/usr/bin/redis-server; } \
  || fail_setup "redis-server is missing: run scripts/setup.sh"
nginx=$(command -v nginx || true); [ -n "$nginx" ] || { [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx; } \
  || fail_setup "nginx is missing: run scripts/setup.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/exaifast-soak.XXXXXX")
pids=()
status=1
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  local redis_pid=""
  [ -f "$dir/redis.pid" ] && redis_pid=$(cat "$dir/redis.pid" 2>/dev/null) && kill "$redis_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # Redis runs daemonized (the driver restarts it), so it is no child to wait for; it writes its log and append-only
  # file while it shuts down, and removing the directory under it fails with "Directory not empty".
  if [ -n "$redis_pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # the verdict stays the last line: where the logs are was said at the start; a directory left behind is no failure
  if [ "$status" = 0 ] && [ "${SOAK_KEEP:-0}" != 1 ]; then
    rm -rf "$dir" 2>/dev/null || echo "soak: could not remove $dir; remove it by hand" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports for Redis, nginx and the two daemons: bound to port 0 together, then released. Another process
# could take one in between; each server below fails loudly if so.
read -r redis_port nginx_port port_a port_b < <(node -e '
  const net = require("net"); const s = [0, 1, 2, 3].map(() => net.createServer());
  Promise.all(s.map((x) => new Promise((r) => x.listen(0, "127.0.0.1", r)))).then(() => {
    console.log(s.map((x) => x.address().port).join(" ")); s.forEach((x) => x.close()); });')

wait_http() { # url pid what
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || fail_setup "$3 exited at start (logs in $dir)"
    sleep 0.2
  done
  fail_setup "$3 did not answer $1 within 30 s (logs in $dir)"
}

node scripts/soak-fake-model.mjs >"$dir/model.port" 2>"$dir/model.log" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$dir/model.port" ] && break; sleep 0.1; done
model_port=$(head -1 "$dir/model.port")
[ -n "$model_port" ] || fail_setup "the fake model server did not start ($dir/model.log)"

# Redis keeps what it was told across the restart (append-only, synced on every write), as a production one would: a
# restart that forgets which daemon served a session lets a call re-sent to the other daemon run again, by design.
cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $redis_port
protected-mode no
daemonize yes
pidfile $dir/redis.pid
dir $dir
logfile $dir/redis.log
save ""
appendonly yes
appendfsync always
EOF
"$redis" "$dir/redis.conf"
for _ in $(seq 1 50); do [ -s "$dir/redis.pid" ] && break; sleep 0.1; done
[ -s "$dir/redis.pid" ] || fail_setup "redis-server did not start ($dir/redis.log)"

# The daemons start from an empty environment plus the soak's settings, so a developer's keys or REDIS_URL never leak
# in. Short provider deadlines and a short call deadline make stalls end in seconds; a short break keeps breakers
# cycling through open, half-open and closed during the run. The stores of results and threads are capped low enough
# to be full within the first minute: at the default 10,000 one daemon's store was still filling after 13 minutes, and
# its RSS grew with it (a 15-minute run: +21.5% against minute 2, managed heap flat), which read as a leak.
start_daemon() { # name port
  local exe=(dotnet "$dll")
  if [ "$1" = b ] && [ "${SOAK_NATIVE_B:-0}" = 1 ]; then exe=("$native"); fi
  env -i PATH="$PATH" HOME="$dir" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    OPENAI_COMPATIBLE_BASE_URL="http://127.0.0.1:$model_port/v1" OPENAI_COMPATIBLE_MODELS=soak-a,soak-b \
    REDIS_URL="redis://127.0.0.1:$redis_port" EXAI_WS_OPENAI_MAX_INFLIGHT=16 MCP_PROMPT_SIZE_LIMIT=0 \
    "${exe[@]}" serve --port "$2" --log-level warning --log-file "$dir/$1.log" \
      --call-timeout 20 --provider-headers-timeout 2 --provider-idle-timeout 2 --provider-retry-delay 0.1 \
      --breaker-break 5 --disconnect-grace 15 --results-max 1000 --threads-max 1000 >"$dir/$1.out" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
}
start_daemon a "$port_a"
start_daemon b "$port_b"
wait_http "http://127.0.0.1:$port_a/ready" "$pid_a" "daemon a"
wait_http "http://127.0.0.1:$port_b/ready" "$pid_b" "daemon b"

mkdir -p "$dir/nginx"
cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_max_body_size 64m;
    client_body_temp_path $dir/nginx/client_body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }
    upstream exaifast {
        server 127.0.0.1:$port_a;
        server 127.0.0.1:$port_b;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://exaifast;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
EOF
"$nginx" -p "$dir/nginx/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" 2>>"$dir/nginx-error.log" &
pids+=($!)
pid_nginx=$!
wait_http "http://127.0.0.1:$nginx_port/health" "$pid_nginx" "nginx"

echo "soak: logs and configs in $dir (kept unless the soak passes; SOAK_KEEP=1 keeps them)"
config=$(cat <<EOF
{"minutes": $minutes, "callTimeout": 20, "openRate": ${SOAK_OPEN_RATE:-10}, "inject": "${SOAK_INJECT:-}",
 "daemons": [{"name": "a", "port": $port_a, "pid": $pid_a}, {"name": "b", "port": $port_b, "pid": $pid_b}],
 "nginx": $nginx_port, "modelPort": $model_port,
 "logs": ["$dir/a.log", "$dir/b.log"],
 "redis": {"port": $redis_port, "server": "$redis", "conf": "$dir/redis.conf", "pidfile": "$dir/redis.pid"},
 "stdio": ["env", "-i", "PATH=$PATH", "HOME=$dir", "MCP_PROMPT_SIZE_LIMIT=0", "dotnet", "$dll", "stdio", "--port", "$port_a", "--log-level", "warning",
           "--log-file", "$dir/stdio.log"]}
EOF
)
# The driver runs in the background and is waited for, so that a signal to this script runs the cleanup at once (bash
# holds a trap until a foreground command ends); tail shows its output as it comes and stops when it exits.
: >"$dir/soak.out"
node scripts/soak-driver.mjs "$config" >>"$dir/soak.out" 2>&1 &
driver=$!
pids+=("$driver")
tail -n +1 -f --pid="$driver" "$dir/soak.out" &
pids+=($!)
set +e
wait "$driver"
status=$?
wait "${pids[-1]}"
set -e
exit "$status"
