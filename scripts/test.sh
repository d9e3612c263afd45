#!/usr/bin/env bash
# The one test command: installs what the tests need, builds everything, runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/setup.sh
dotnet build ExaiFast.sln -c Release --no-restore --verbosity quiet -nologo

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test ExaiFast.sln -c Release --no-build --verbosity quiet -nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" \
  -- RunConfiguration.TestSessionTimeout=840000 || status=$?

# One plain closing line for CI, summed over every project's TRX file.
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$f" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); f2=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f2:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then echo "no tests ran" >&2; status=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
