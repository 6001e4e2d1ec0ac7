#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/ActivityLog.AspNetCore.Tests/Browser, Microsoft.Playwright with
# ExecutablePath=/usr/bin/chromium: `playwright install` cannot download browsers here, so Debian's package is used).
#
#   scripts/chromium.sh    installs Debian's chromium with apt-get when /usr/bin/chromium is missing; a quick no-op
#                          when it is there. Needs root to install.
set -euo pipefail

readonly BROWSER=/usr/bin/chromium

log() { echo "chromium.sh: $*"; }
fail() {
  echo "chromium.sh: ERROR: $*" >&2
  exit 1
}

if [ -x "$BROWSER" ]; then
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "$BROWSER is missing and installing it needs root: run 'apt-get install -y chromium' as root"
command -v apt-get >/dev/null || fail "$BROWSER is missing and apt-get is not available to install it"

# One installer at a time (apt's own lock fails fast instead of waiting when two test runs start together).
exec 9>/run/lock/activitylog-chromium.lock
flock -w 600 9 || fail "waited 10 minutes for /run/lock/activitylog-chromium.lock, held by another scripts/chromium.sh"
if [ -x "$BROWSER" ]; then
  exit 0
fi

log "installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
output=$(mktemp)
trap 'rm -f "$output"' EXIT
# The package lists may be missing or stale on a fresh machine: update them once if the first attempt fails.
if ! apt-get install -y chromium >"$output" 2>&1 9>&- &&
  ! { apt-get update >"$output" 2>&1 9>&- && apt-get install -y chromium >"$output" 2>&1 9>&-; }; then
  tail -n 20 "$output" >&2
  fail "could not install chromium with apt-get (apt-get update && apt-get install -y chromium)"
fi

[ -x "$BROWSER" ] || fail "apt-get installed chromium but $BROWSER is missing"
log "installed $("$BROWSER" --version 2>/dev/null || echo chromium)"
