#!/usr/bin/env bash
# Micro-benchmarks (BenchmarkDotNet, MemoryDiagnoser). Arguments go to BenchmarkSwitcher, e.g.
#   scripts/micro.sh --filter '*Frame*'        scripts/micro.sh --list flat
# Default: every benchmark. Results land in BenchmarkDotNet.Artifacts/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ $# -eq 0 ] && set -- --filter '*'
exec dotnet run -c Release --project perf/ExaiFast.Benchmarks -- "$@"
