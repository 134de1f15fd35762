#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, seeded from its corpus.
#   tools/fuzz.sh //xdr:decode_fuzzer 60
# The target is built with --config=fuzz (clang-14, ASan + UBSan) in its own Bazel output base,
# so switching compilers never invalidates the g++ build. Exits non-zero on any finding; the
# crashing input is kept under $UXCOM_FUZZ_ARTIFACTS (default /tmp/uxcom-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh //pkg:target [seconds]}
seconds=${2:-60}
bazel_fuzz=(bazel --output_base="$HOME/.cache/bazel/uxcom-fuzz")

"${bazel_fuzz[@]}" build --config=fuzz "$target"
bin="$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin)/$(sed 's|^//||; s|:|/|' <<<"$target")"
corpus_src=$("${bazel_fuzz[@]}" query --output=build "$target" 2>/dev/null |
  sed -n 's/.*"uxcom_corpus=\([^"]*\)".*/\1/p')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [[ -n "$corpus_src" ]]; then
  # shellcheck disable=SC2086
  cp $corpus_src "$work/corpus/" 2>/dev/null || true
fi
artifacts=${UXCOM_FUZZ_ARTIFACTS:-/tmp/uxcom-fuzz}
mkdir -p "$artifacts"
echo "fuzz: $target for ${seconds}s, $(ls "$work/corpus" | wc -l) seed inputs"
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus"
