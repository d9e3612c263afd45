#!/usr/bin/env bash
# Checks deploy/prometheus/alerts.yml: promtool's syntax check, its unit tests (alerts.test.yml: each alert fires on what
# it is for and not on its healthy neighbour), and that every exaifast_* metric an alert reads is one the daemon exports
# (a renamed metric would otherwise leave an alert that can never fire).
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"
command -v promtool >/dev/null || { echo "check-alerts.sh: promtool is not installed (Debian: apt-get install prometheus, or scripts/setup.sh)" >&2; exit 2; }
promtool check rules alerts.yml
promtool test rules alerts.test.yml
missing=0
for name in $(grep -oE 'exaifast_[a-z_]+' alerts.yml | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
  if ! grep -rqF "\"$name\"" ../../src --include=*.cs; then
    echo "check-alerts.sh: alerts.yml reads $name, which no daemon code exports" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "alerts: every metric read is exported"
exit "$missing"
