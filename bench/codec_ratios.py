#!/usr/bin/env python3
"""Turns //bench:codec_bench JSON output into the tables of bench/README.md (codec section).

  bazel run --config=opt //bench:codec_bench -- --benchmark_repetitions=10 \
      --benchmark_min_time=0.1 --benchmark_format=json > /tmp/codec.json
  bench/codec_ratios.py /tmp/codec.json

Each benchmark's time is the fastest of its repetitions (the least disturbed by other work on
a shared machine); ratios compare times measured in the same run.
"""
import json
import sys

MESSAGES = ["small_app", "large_app_64k", "gcs_snapshot_9_nodes", "chain_3"]
VERSIONS = ["x_1_0", "x_1_4", "x_1_6", "x_1_9"]


def load(path):
    with open(path) as f:
        data = json.load(f)
    best, allocs = {}, {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        best[name] = min(best.get(name, float("inf")), b["real_time"])
        allocs[name] = b.get("allocs_per_op", float("nan"))
    return data.get("context", {}), best, allocs


def main():
    context, t, allocs = load(sys.argv[1])
    print("allocation counting:", context.get("allocation_counting", "?"))
    print()
    print("| message | version | encode uxcom | encode tirpc | ratio | decode uxcom view | "
          "decode uxcom copy | decode as the transport | decode tirpc | ratio view | ratio copy | "
          "ratio transport |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in MESSAGES:
        for v in VERSIONS:
            e_u, e_t = t[f"encode/{m}/{v}/uxcom"], t[f"encode/{m}/{v}/tirpc"]
            d_v, d_c = t[f"decode/{m}/{v}/uxcom_view"], t[f"decode/{m}/{v}/uxcom_copy"]
            d_t = t[f"decode/{m}/{v}/tirpc"]
            d_x = t[f"decode/{m}/{v}/uxcom_transport"]
            print(f"| {m} | {v} | {e_u:.1f} ns | {e_t:.1f} ns | {e_t / e_u:.1f}x | "
                  f"{d_v:.1f} ns | {d_c:.1f} ns | {d_x:.1f} ns | {d_t:.1f} ns | "
                  f"{d_t / d_v:.1f}x | {d_t / d_c:.1f}x | {d_t / d_x:.1f}x |")
    print()
    memcpy = t["memcpy/large_app_64k"]
    print(f"memcpy of the 64 KiB payload: {memcpy:.1f} ns")
    print("| 64 KiB message | version | uxcom | / memcpy |")
    print("| --- | --- | --- | --- |")
    for v in VERSIONS:
        for op, codec in (("encode", "uxcom"), ("decode", "uxcom_copy"), ("decode", "uxcom_view")):
            x = t[f"{op}/large_app_64k/{v}/{codec}"]
            print(f"| {op} ({codec}) | {v} | {x:.1f} ns | {x / memcpy:.2f}x |")
    print()
    worst = {}
    for name, a in allocs.items():
        codec = name.rsplit("/", 1)[-1]
        if codec.startswith("uxcom"):
            key = name.split("/", 1)[0] + "/" + codec
            worst[key] = max(worst.get(key, 0.0), a)
    print("largest allocs_per_op per uxcom codec path:",
          ", ".join(f"{k} {v:g}" for k, v in sorted(worst.items())))


if __name__ == "__main__":
    main()
