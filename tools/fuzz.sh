#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, seeded from its corpus.
#   tools/fuzz.sh //xdr:decode_fuzzer 60
# The target is built with --config=fuzz (clang-14, ASan + UBSan) in its own Bazel output base,
# so switching compilers never invalidates the g++ build. Seeds: the target's `data` files.
# Exits non-zero on any finding; the crashing input is kept under $UXCOM_FUZZ_ARTIFACTS
# (default /tmp/uxcom-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh //pkg:target [seconds]}
seconds=${2:-60}
bazel_fuzz=(bazel --output_base="$HOME/.cache/bazel/uxcom-fuzz")

"${bazel_fuzz[@]}" build --config=fuzz "$target"
bin="$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin)/$(sed 's|^//||; s|:|/|' <<<"$target")"
# The seed corpus is every source file the target lists (directly or through filegroups) in
# its `data` attribute.
mapfile -t seeds < <("${bazel_fuzz[@]}" query "kind('source file', deps(labels(data, $target)))" \
  2>/dev/null | sed 's|^//||; s|:|/|')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
for s in "${seeds[@]}"; do
  [[ -f "$s" ]] && cp "$s" "$work/corpus/$(tr / _ <<<"$s")"
done
artifacts=${UXCOM_FUZZ_ARTIFACTS:-/tmp/uxcom-fuzz}
mkdir -p "$artifacts"
echo "fuzz: $target for ${seconds}s, $(ls "$work/corpus" | wc -l) seed inputs"
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus"
