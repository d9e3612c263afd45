#!/usr/bin/env bash
# Installs exaifast as a native binary at $PREFIX/bin/exaifast (default ~/.local/bin/exaifast): publishes it with
# Native AOT from this checkout, then moves it into place in one rename, so that a daemon running from the old binary
# goes on running and a client never finds half a file. Run it again to update; --uninstall removes it.
#
#   scripts/install.sh [--prefix DIR] [--uninstall]
#   PREFIX=DIR scripts/install.sh
#
# Needs the .NET 10 SDK and a C toolchain for Native AOT (clang and zlib1g-dev on Debian: scripts/setup.sh installs
# them). EXAIFAST_INSTALL_BINARY=FILE installs that already-published binary instead of publishing (the tests use it).
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
repo="$(cd "$here/.." && pwd)"

fail() { echo "install.sh: $*" >&2; exit 1; }

prefix="${PREFIX:-}"
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (try --help)" ;;
  esac
done

# The default prefix is the user's own (~/.local, where XDG tools look), created when missing; a prefix that was named
# must exist, so that a typo does not install somewhere nobody looks.
if [ -z "$prefix" ]; then
  [ -n "${HOME:-}" ] || fail "HOME is not set: name a prefix with --prefix DIR"
  prefix="$HOME/.local"
  [ "$uninstall" = 1 ] || mkdir -p "$prefix" 2>/dev/null || fail "cannot create $prefix"
fi
[ -d "$prefix" ] || fail "the prefix $prefix does not exist (create it, or name another with --prefix DIR)"
prefix="$(cd "$prefix" && pwd)"
bindir="$prefix/bin"
target="$bindir/exaifast"

if [ "$uninstall" = 1 ]; then
  if [ ! -e "$target" ]; then
    echo "exaifast is not installed at $target: nothing to remove"
    exit 0
  fi
  rm -f "$target" || fail "cannot remove $target"
  # A daemon started from it keeps its (now unlinked) file and runs on until it is stopped.
  echo "removed $target"
  exit 0
fi

# Checked before the minutes of publishing: somewhere to write, in the directory that will hold the binary, so that the
# final step is a rename within one file system.
mkdir -p "$bindir" 2>/dev/null || fail "cannot create $bindir (is $prefix read-only or not yours?)"
staged="$(mktemp "$bindir/.exaifast.install.XXXXXX" 2>/dev/null)" || fail "cannot write to $bindir (is it read-only or not yours?)"
work=
cleanup() {
  rm -f "$staged"
  [ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT

binary="${EXAIFAST_INSTALL_BINARY:-}"
if [ -z "$binary" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) rid=linux-x64 ;;
    Linux-aarch64) rid=linux-arm64 ;;
    Darwin-arm64) rid=osx-arm64 ;;
    Darwin-x86_64) rid=osx-x64 ;;
    *) fail "no native build for $(uname -s) $(uname -m) here; run it with the SDK: dotnet run --project src/ExaiFast -c Release -- serve" ;;
  esac
  command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is needed to build exaifast, and dotnet is not on PATH (install the SDK, then run this again)"
  dotnet --list-sdks 2>/dev/null | grep -q '^10\.' || fail "the .NET 10 SDK is needed to build exaifast; dotnet has: $(dotnet --list-sdks 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')"
  # Native AOT links with clang (gcc also does on Linux; Xcode's clang on macOS).
  command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 \
    || fail "Native AOT needs clang to link: sudo apt-get install clang zlib1g-dev (or run scripts/setup.sh)"

  work="$(mktemp -d "${TMPDIR:-/tmp}/exaifast-install.XXXXXX")"
  echo "install.sh: publishing a native exaifast for $rid (a minute or two)..." >&2
  if ! dotnet publish "$repo/src/ExaiFast/ExaiFast.csproj" -c Release -r "$rid" -p:PublishAot=true -o "$work/publish" \
      -nologo -v quiet >"$work/publish.log" 2>&1; then
    cat "$work/publish.log" >&2
    fail "dotnet publish failed (above); nothing was installed"
  fi
  binary="$work/publish/exaifast"
fi
[ -f "$binary" ] || fail "$binary is missing; nothing was installed"
version="$("$binary" --version 2>&1)" || fail "the new binary does not run ($version); nothing was installed"

if [ -f "$target" ] && cmp -s "$binary" "$target"; then
  echo "$target is already this build: $version"
else
  cp "$binary" "$staged" || fail "cannot write to $bindir (full?); nothing was installed"
  chmod 755 "$staged"
  mv -f "$staged" "$target" || fail "cannot replace $target; the old one is unchanged"
  echo "installed $target: $version"
fi

case ":$PATH:" in
  *":$bindir:"*) ;;
  *)
    echo "$bindir is not on your PATH. Add it (then open a new shell, or run the export line now):"
    echo "  echo 'export PATH=\"$bindir:\$PATH\"' >> ~/.profile"
    echo "  export PATH=\"$bindir:\$PATH\""
    ;;
esac
echo "next: exaifast serve    (or let an MCP client start it: claude mcp add exaifast -- exaifast stdio --autostart)"
