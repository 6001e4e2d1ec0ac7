#!/usr/bin/env bash
# Runs every test of the solution on this machine, from a clean clone, and prints one closing line
# "N passed, N failed, N skipped" with the real totals read from the TRX results. Starts the PostgreSQL test
# servers first (scripts/postgres.sh start: needs root and Debian's postgresql-15, which it installs if missing), and
# makes sure the browser tests' headless Chromium is there (scripts/chromium.sh: installs Debian's chromium if missing)
# and the native AOT publish test's clang (scripts/aot-prereqs.sh: installs Debian's clang and zlib1g-dev if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

results="TestResults"
rm -rf "$results"

# The PostgreSQL servers the tests use (scripts/postgres.sh): started, with their role and settings, every run.
if ! bash scripts/postgres.sh start; then
  echo "Could not set up the PostgreSQL test servers (scripts/postgres.sh start failed)." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# The headless Chromium the browser tests drive (/usr/bin/chromium), installed when missing.
if ! bash scripts/chromium.sh; then
  echo "Could not install Chromium for the browser tests (scripts/chromium.sh failed)." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# clang and zlib's headers for the native AOT publish test (tests/ActivityLog.Tests/Aot), installed when missing.
if ! bash scripts/aot-prereqs.sh; then
  echo "Could not install the native AOT prerequisites (scripts/aot-prereqs.sh failed)." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# The hang timeout is per test: ActivityLog.Consumer.Tests packs every package and builds and runs a web app on them
# (dotnet-ef included), a few minutes on a busy 2-core machine, so it is set well above that.
status=0
dotnet test ActivityLog.sln --configuration Release \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m \
  -- RunConfiguration.TreatNoTestsAsError=true || status=$?

passed=0; failed=0; skipped=0; total=0
shopt -s nullglob
trx_files=("$results"/*.trx)
if [ ${#trx_files[@]} -eq 0 ]; then
  echo "No test results were written (the build or the test host failed)." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$((total + $(value total)))
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done

if [ "$total" -eq 0 ]; then
  echo "No test ran." >&2
  status=1
fi
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then
  status=1
fi
# A test host that hung or crashed ends its run "aborted" with its finished tests counted as passed: the run failed,
# so say so in the counts too.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test failed (exit $status) although no test was counted as failed: an aborted or crashed test host." >&2
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
