#!/usr/bin/env bash
# The whole uxcom test suite, exactly as CI runs it (README quick start, .ci/run):
#   1. installs the Debian packages it needs (tools/install_deps.sh, idempotent);
#   2. checks formatting (tools/format.sh --check);
#   3. `bazel test //...` (every test, io_uring and forced-epoll variants);
#   4. the same suite under --config=asan (AddressSanitizer + UBSan + LeakSanitizer);
#   5. every libFuzzer target (tag "fuzz_target") under --config=fuzz for UXCOM_FUZZ_SECONDS
#      (default 60) each, seeded from its corpus; any finding fails.
# The last line is "N passed, N failed": Bazel test targets of steps 3 and 4 plus one check
# each for formatting and every fuzz target. Exit status is non-zero if anything failed.
#
#   tools/test.sh            the full suite
#   tools/test.sh --quick    steps 1 and 3 only (the development loop)
#   tools/test.sh -- ARGS    extra arguments for every `bazel test` (e.g. --test_filter)
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
extra=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

tools/install_deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Adds the per-target results Bazel printed in $log to the totals. A build that failed before
# any test ran counts as one failure, so a broken build can never read as "0 failed".
count_bazel() {
  local rc=$1 p f
  p=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE|FAILED TO BUILD)' "$log")
  if ((rc != 0 && f == 0)); then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "== $2: $p passed, $f failed"
}

check() {  # name, command...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== $name: FAILED"; fi
}

if ((!quick)); then
  check format tools/format.sh --check
fi

echo "== bazel test //... (default config)"
bazel test --test_summary=short "${extra[@]}" //... 2>&1 | tee "$log"
count_bazel "${PIPESTATUS[0]}" "default"

if ((!quick)); then
  echo "== bazel test --config=asan //..."
  bazel test --config=asan --test_summary=short "${extra[@]}" //... 2>&1 | tee "$log"
  count_bazel "${PIPESTATUS[0]}" "asan"

  mapfile -t fuzzers < <(bazel query 'attr(tags, "fuzz_target", //...)' 2>/dev/null)
  if ((${#fuzzers[@]} == 0)); then
    echo "== fuzz: no fuzz targets"
  fi
  for target in "${fuzzers[@]}"; do
    check "fuzz $target" tools/fuzz.sh "$target" "${UXCOM_FUZZ_SECONDS:-60}"
  done
fi

echo "$passed passed, $failed failed"
((failed == 0))
