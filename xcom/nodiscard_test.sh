#!/bin/bash
# //xcom:nodiscard_test: dropping an awaitable of net/ or xcom/ without co_await is diagnosed.
# Compiles nodiscard_snippet.cc (its header says how) with the system g++ (${CXX} if set), from
# the runfiles tree where the headers are. Usage: nodiscard_test.sh <snippet.cc>
set -u
snippet="$1"
cxx="${CXX:-g++}"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
flags=(-std=c++20 -fsyntax-only -I. -Wall -Wextra -fno-diagnostics-color)

# 1. Every marked expression awaited: must compile without error.
awaited="$tmp/awaited_snippet.cc"
sed -E 's|^( *)(.*); *// discarded$|\1co_await \2;|' "$snippet" > "$awaited"
if grep -q '// discarded$' "$awaited"; then
  echo "FAIL: a marked line is not of the form '<expression>; // discarded'"
  exit 1
fi
if ! "$cxx" "${flags[@]}" -Werror -Wno-unused-result "$awaited"; then
  echo "FAIL: the snippet with every awaitable awaited does not compile (see above)"
  exit 1
fi

# 2. As written: must fail, with our diagnostic on every marked line and nowhere else.
diagnostics="$tmp/diagnostics.txt"
if "$cxx" "${flags[@]}" -Werror=unused-result "$snippet" 2> "$diagnostics"; then
  echo "FAIL: discarding awaitables compiled without a diagnostic"
  exit 1
fi
status=0
marked=0
for line in $(grep -n '// discarded$' "$snippet" | cut -d: -f1); do
  marked=$((marked + 1))
  if ! grep -q "^$snippet:$line:[0-9]*: error: ignoring return.*co_await it" "$diagnostics"; then
    echo "FAIL: line $line not diagnosed: $(sed -n "${line}p" "$snippet")"
    status=1
  fi
done
for line in $(grep -o "^$snippet:[0-9]*:[0-9]*: error" "$diagnostics" | cut -d: -f2 | sort -un); do
  if ! sed -n "${line}p" "$snippet" | grep -q '// discarded$'; then
    echo "FAIL: unexpected error on unmarked line $line:"
    grep "^$snippet:$line:" "$diagnostics"
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "--- compiler output ---"
  cat "$diagnostics"
  exit 1
fi
echo "OK: each of the $marked discarded awaitables is diagnosed (-Werror=unused-result)"
