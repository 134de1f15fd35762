#!/usr/bin/env bash
# Formats every C++ file with the repository's .clang-format (clang-format 14).
#   tools/format.sh          rewrite files in place
#   tools/format.sh --check  change nothing; list files that differ and exit 1 if any do
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.h' '*.cc' | grep -v '^third_party/bazel_shims/')
((${#files[@]})) || exit 0
if [[ "${1:-}" == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || continue
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    printf 'format: %s is not clang-formatted (run tools/format.sh)\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files clean"
else
  clang-format -i "${files[@]}"
fi
