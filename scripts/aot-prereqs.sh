#!/usr/bin/env bash
# Native AOT prerequisites for the AOT publish test (tests/ActivityLog.Tests/Aot): the ILCompiler packages come from
# NuGet through the repo's nuget.config, but the native link needs clang (the linker driver) and zlib's headers.
#
#   scripts/aot-prereqs.sh    installs Debian's clang and zlib1g-dev with apt-get when missing; a quick no-op when
#                             they are there. Needs root to install.
set -euo pipefail

log() { echo "aot-prereqs.sh: $*"; }
fail() {
  echo "aot-prereqs.sh: ERROR: $*" >&2
  exit 1
}

have_all() { command -v clang >/dev/null && [ -e /usr/include/zlib.h ]; }

if have_all; then
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "clang or zlib1g-dev is missing and installing them needs root: run 'apt-get install -y clang zlib1g-dev' as root"
command -v apt-get >/dev/null || fail "clang or zlib1g-dev is missing and apt-get is not available to install them"

# One installer at a time (apt's own lock fails fast instead of waiting when two test runs start together).
exec 9>/run/lock/activitylog-aot-prereqs.lock
flock -w 600 9 || fail "waited 10 minutes for /run/lock/activitylog-aot-prereqs.lock, held by another scripts/aot-prereqs.sh"
if have_all; then
  exit 0
fi

log "installing clang and zlib1g-dev with apt-get"
export DEBIAN_FRONTEND=noninteractive
output=$(mktemp)
trap 'rm -f "$output"' EXIT
# The package lists may be missing or stale on a fresh machine: update them once if the first attempt fails.
if ! apt-get install -y clang zlib1g-dev >"$output" 2>&1 9>&- &&
  ! { apt-get update >"$output" 2>&1 9>&- && apt-get install -y clang zlib1g-dev >"$output" 2>&1 9>&-; }; then
  tail -n 20 "$output" >&2
  fail "could not install clang and zlib1g-dev with apt-get (apt-get update && apt-get install -y clang zlib1g-dev)"
fi

have_all || fail "apt-get installed clang and zlib1g-dev but clang or /usr/include/zlib.h is missing"
log "installed $(clang --version 2>/dev/null | head -n 1 || echo clang)"
