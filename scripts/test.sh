#!/usr/bin/env bash
# The one test command: installs what the tests need, builds everything, runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/setup.sh
dotnet build ExaiFast.sln -c Release --no-restore --verbosity quiet -nologo

# The shipped artifact: scripts/install.sh publishes the native binary (Native AOT, warnings as errors) and installs it
# under artifacts/native, and the end-to-end tests start that binary (EXAIFAST_TEST_BINARY) instead of the JIT build.
# EXAIFAST_TEST_JIT=1 skips it for a quicker local run against dotnet exaifast.dll.
if [ "${EXAIFAST_TEST_JIT:-0}" != 1 ]; then
  started=$SECONDS
  mkdir -p artifacts/native
  bash scripts/install.sh --prefix "$(pwd)/artifacts/native" >/dev/null
  export EXAIFAST_TEST_BINARY="$(pwd)/artifacts/native/bin/exaifast"
  echo "native binary: $("$EXAIFAST_TEST_BINARY" --version), $(stat -c %s "$EXAIFAST_TEST_BINARY") bytes, published in $((SECONDS - started)) s"

  # macOS and Windows are built, not run, here: framework-dependent publishes for them prove that nothing bound to
  # Linux slips into the build (CA1416 is an error; the apphost packs come from NuGet).
  started=$SECONDS
  for rid in osx-arm64 win-x64; do
    dotnet publish src/ExaiFast/ExaiFast.csproj -c Release -r "$rid" --self-contained false -p:PublishAot=false \
      -o "artifacts/publish/$rid" --verbosity quiet -nologo
  done
  echo "framework-dependent publishes for osx-arm64 and win-x64: built in $((SECONDS - started)) s"
fi

log="$(pwd)/artifacts/test-output.txt"
mkdir -p "$(dirname "$log")"
status=0
# Microsoft.Testing.Platform (global.json): each test project is an executable; --timeout stops a hung run.
dotnet test --solution ExaiFast.sln -c Release --no-build --no-progress --timeout 14m 2>&1 | tee "$log" || status=${PIPESTATUS[0]}

# The Prometheus alert rules (deploy/prometheus): promtool's check and unit tests, and every metric they read exported.
alerts=0
bash scripts/check-alerts.sh || alerts=$?

# One minute of the soak (scripts/soak.sh): every door at once against two daemons, Redis and nginx, with a failing
# model server; its verdict line says whether a call was lost or answered twice, or descriptors or calls were left over.
soak=0
bash scripts/soak.sh 1 || soak=$?

# One plain closing line for CI: the totals of every project's run summary.
read -r total failed skipped < <(awk '/^  total:/{t+=$2} /^  failed:/{f+=$2} /^  skipped:/{s+=$2} END{print t+0, f+0, s+0}' "$log")
passed=$((total - failed - skipped))
if [ "$total" -eq 0 ]; then echo "no tests ran" >&2; status=1; fi
if [ "$alerts" -ne 0 ]; then echo "the alert rules failed their checks (exit $alerts)" >&2; [ "$status" -ne 0 ] || status=$alerts; fi
if [ "$soak" -ne 0 ]; then echo "the soak failed (exit $soak)" >&2; [ "$status" -ne 0 ] || status=$soak; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
