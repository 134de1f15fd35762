#!/usr/bin/env bash
# Checks rule 1 of net/task.h's coroutine rules in every tracked C++ file, line by line (a
# condition split over lines is seen up to its line's end): no co_await inside a
# condition (if, while, switch), a ?: or a test macro's argument (CHECK, REQUIRE, ...), forms
# GCC 12 has miscompiled. Comments are ignored. (Rule 2, spawning a capturing lambda's
# coroutine, is refused by Spawn itself in debug builds.)
#   tools/coroutine_lint.sh   lists each offending line; exit 1 if there is any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.h' '*.cc' |
  grep -v '^third_party/bazel_shims/')
((${#files[@]})) || exit 0
macros='CHECK|CHECK_FALSE|CHECK_MESSAGE|CHECK_EQ|REQUIRE|REQUIRE_FALSE|REQUIRE_MESSAGE|INFO|MESSAGE|CAPTURE|FAIL_CHECK|FAIL|ABSL_CHECK|assert'
bad=$(for f in "${files[@]}"; do [[ -f "$f" ]] && printf '%s\0' "$f"; done |
  xargs -0 awk -v macros="$macros" '
    # Whether co_await appears inside the parentheses opened at `open` (1-based) of `s`.
    function awaits_inside(s, open,    depth, i, c) {
      depth = 0
      for (i = open; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "(") depth++
        else if (c == ")" && --depth == 0) return index(substr(s, open, i - open), "co_await") > 0
      }
      return index(substr(s, open), "co_await") > 0  # continues on the next line
    }
    function bad_call(s, pattern,    rest, at, offset) {
      rest = s; offset = 0
      while (match(rest, pattern)) {
        at = offset + RSTART + RLENGTH - 1  # the opening parenthesis
        if (awaits_inside(s, at)) return 1
        offset += RSTART + RLENGTH - 1; rest = substr(s, offset + 1)
      }
      return 0
    }
    { code = $0; sub(/\/\/.*/, "", code) }
    code ~ /co_await/ && (bad_call(code, "(^|[^A-Za-z_])(if|while|switch) *\\(") ||
                          bad_call(code, "(^|[^A-Za-z_])(" macros ")\\(") ||
                          code ~ /\?[^:]*co_await/ || code ~ /\?.*:.*co_await/ ||
                          code ~ /co_await[^;]*\?.*:/) {
      printf "%s:%d: %s\n", FILENAME, FNR, $0
    }')
if [[ -n "$bad" ]]; then
  printf '%s\n' "$bad" >&2
  echo "coroutine_lint: co_await inside a condition, a ?: or a macro argument (net/task.h," \
    "\"Coroutine rules\", rule 1): put the awaited result in a named variable first" >&2
  exit 1
fi
echo "coroutine_lint: ${#files[@]} files clean"
