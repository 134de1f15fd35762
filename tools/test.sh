#!/usr/bin/env bash
# The whole uxcom test suite, exactly as CI runs it (README quick start, .ci/run):
#   1. installs the Debian packages it needs (tools/install_deps.sh, idempotent);
#   2. checks formatting (tools/format.sh --check) and the coroutine rules a line shows
#      (tools/coroutine_lint.sh: no co_await in a condition, a ?: or a macro argument);
#   3. `bazel test //...` (every test, io_uring and epoll variants);
#   4. the same suite under --config=asan (AddressSanitizer + UBSan + LeakSanitizer);
#   5. every libFuzzer target (tag "fuzz_target") under --config=fuzz for UXCOM_FUZZ_SECONDS
#      (default 60) each, seeded from its corpus; any finding fails. No fuzz target found, or a
#      failed query for them, is a failure too.
# The last line is "N passed, N failed, N skipped": Bazel test targets of steps 3 and 4 plus one
# check each for formatting, the coroutine lint and every fuzz target. Exit status is non-zero if anything failed.
#
# Skips. Bazel has no skipped status: a test that cannot run here (no io_uring, not root, a
# kernel feature or tool missing, a build configuration without the feature) calls
# uxcom::testing::Skip (test/skip.h), which records "uxcom-skip <need> <what>" in the target's
# bazel-testlogs/.../test.outputs_manifest/ANNOTATIONS. A target that PASSED with such a record
# is counted as skipped, not passed, and listed with its reasons. With CI=true, every skip
# except need "build" is counted as failed instead: CI runs as root on a host with io_uring and
# every tool installed, so an io_uring variant, a root test or a kernel-feature test that skips
# there means the host is broken, and the run must not look green.
#
#   tools/test.sh                      the full suite
#   tools/test.sh --quick              steps 1 and 3 only (the development loop)
#   tools/test.sh --targets=//net/...  steps 3 and 4 on these target patterns only
#   tools/test.sh -- ARGS              extra arguments for every `bazel test` (e.g. --test_filter)
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
targets=(//...)
extra=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --targets=*) read -r -a targets <<<"${1#--targets=}" ;;
    --) shift; extra=("$@"); break ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ci=0
[[ "${CI:-}" == true ]] && ci=1

tools/install_deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The skip records of one target's last run (every shard and attempt), one per line.
skip_records() {  # testlogs-dir //pkg:name
  local dir="$1/$(sed 's|^//||; s|:|/|' <<<"$2")"
  [[ -d "$dir" ]] || return 0
  find "$dir" -path '*test.outputs_manifest/ANNOTATIONS' -exec grep -h '^uxcom-skip ' {} + \
    2>/dev/null | sort -u
}

# Adds the per-target results Bazel printed in $log to the totals. A build that failed before
# any test ran counts as one failure, so a broken build can never read as "0 failed".
count_bazel() {  # rc name config-args...
  local rc=$1 name=$2 p=0 f=0 s=0 target status records testlogs
  shift 2
  testlogs=$(bazel info "$@" bazel-testlogs 2>/dev/null)
  while read -r target status; do
    if [[ "$status" != PASSED ]]; then
      f=$((f + 1))
      continue
    fi
    records=$(skip_records "$testlogs" "$target")
    if [[ -z "$records" ]]; then
      p=$((p + 1))
    elif ((ci)) && grep -qv '^uxcom-skip build ' <<<"$records"; then
      f=$((f + 1))
      echo "== $target: FAILED: skipped in CI, where it must run:"
      sed 's/^uxcom-skip /     /' <<<"$records"
    else
      s=$((s + 1))
      echo "== $target: SKIPPED:"
      sed 's/^uxcom-skip /     /' <<<"$records"
    fi
  done < <(sed -nE 's/^(\/\/[^ ]+) +(\(cached\) )?(PASSED|FAILED TO BUILD|FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE).*/\1 \3/p' "$log")
  if ((rc != 0 && f == 0)); then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  echo "== $name: $p passed, $f failed, $s skipped"
}

check() {  # name, command...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== $name: FAILED"; fi
}

if ((!quick)); then
  check format tools/format.sh --check
  check coroutine_lint tools/coroutine_lint.sh
fi

echo "== bazel test ${targets[*]} (default config)"
bazel test --test_summary=short "${extra[@]}" -- "${targets[@]}" 2>&1 | tee "$log"
count_bazel "${PIPESTATUS[0]}" "default"

if ((!quick)); then
  echo "== bazel test --config=asan ${targets[*]}"
  bazel test --config=asan --test_summary=short "${extra[@]}" -- "${targets[@]}" 2>&1 | tee "$log"
  count_bazel "${PIPESTATUS[0]}" "asan" --config=asan

  fuzzers=()
  if ! query=$(bazel query 'attr(tags, "fuzz_target", //...)' 2>"$log"); then
    cat "$log"
    echo "== fuzz: FAILED: bazel query for the fuzz targets failed"
    failed=$((failed + 1))
  else
    mapfile -t fuzzers < <(grep '^//' <<<"$query")
    if ((${#fuzzers[@]} == 0)); then
      echo "== fuzz: FAILED: no target is tagged fuzz_target (a lost tag would skip fuzzing)"
      failed=$((failed + 1))
    fi
  fi
  for target in "${fuzzers[@]}"; do
    check "fuzz $target" tools/fuzz.sh "$target" "${UXCOM_FUZZ_SECONDS:-60}"
  done
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
