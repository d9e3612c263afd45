#!/usr/bin/env bash
# The one test command: installs what the tests need, builds everything, runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/setup.sh
dotnet build ExaiFast.sln -c Release --no-restore --verbosity quiet -nologo

log="$(pwd)/artifacts/test-output.txt"
mkdir -p "$(dirname "$log")"
status=0
# Microsoft.Testing.Platform (global.json): each test project is an executable; --timeout stops a hung run.
dotnet test --solution ExaiFast.sln -c Release --no-build --no-progress --timeout 14m 2>&1 | tee "$log" || status=${PIPESTATUS[0]}

# One plain closing line for CI: the totals of every project's run summary.
read -r total failed skipped < <(awk '/^  total:/{t+=$2} /^  failed:/{f+=$2} /^  skipped:/{s+=$2} END{print t+0, f+0, s+0}' "$log")
passed=$((total - failed - skipped))
if [ "$total" -eq 0 ]; then echo "no tests ran" >&2; status=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
