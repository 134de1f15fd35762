#!/usr/bin/env python3
"""Summarizes several //bench:transport_bench JSON runs: medians and the issue-4 targets.

Run-to-run variation on a shared 2-vCPU machine is large (±20 %), so one run proves little:

  bazel build --config=opt //bench:transport_bench
  for i in 1 2 3; do
    bazel-bin/bench/transport_bench --benchmark_format=json > /tmp/transport.$i.json
  done
  python3 bench/transport/report.py /tmp/transport.*.json

Prints a markdown table of per-workload medians (min-max over the runs), then every target with
its ratio computed from the medians of the ratios measured within each run.
"""

import json
import re
import statistics
import sys

NAME = re.compile(r"^SendToAll/nodes:(\d+)/payload:(\d+)")
COUNTERS = ["raw_msg_s", "uxcom_msg_s", "xcom_msg_s", "uxcom_cpu_us_msg", "xcom_cpu_us_msg",
            "vs_raw", "vs_xcom", "allocs_per_msg", "tls_msg_s", "tls_vs_plain",
            "tls_allocs_per_msg"]
LATENCY = ["raw_rtt_mean_us", "uxcom_rtt_mean_us", "xcom_rtt_mean_us", "raw_rtt_p99_us",
           "uxcom_rtt_p99_us", "xcom_rtt_p99_us", "allocs_per_rtt"]


def load(paths):
    rows, latency = {}, {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        for b in doc["benchmarks"]:
            if b.get("run_type") != "iteration" or b.get("error_occurred"):
                continue
            m = NAME.match(b["name"])
            if m:
                key = (int(m.group(1)), int(m.group(2)))
                for c in COUNTERS:
                    rows.setdefault(key, {}).setdefault(c, []).append(b.get(c, float("nan")))
            elif b["name"].startswith("RequestReply"):
                for c in LATENCY:
                    latency.setdefault(c, []).append(b.get(c, float("nan")))
    return rows, latency


def cell(values, fmt):
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def main():
    rows, latency = load(sys.argv[1:])
    k = lambda v: f"{v / 1e3:.0f}k"
    x = lambda v: f"{v:.2f}"
    print(f"Medians of {len(sys.argv) - 1} runs (min–max in parentheses).\n")
    print("| workload | raw msg/s | uxcom msg/s | XCom-model msg/s | uxcom / raw | "
          "uxcom / model | uxcom CPU µs/msg | model CPU µs/msg | allocs/msg | "
          "uxcom TLS msg/s | TLS / plaintext | TLS allocs/msg |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (nodes, payload), r in sorted(rows.items()):
        print(f"| {nodes} nodes, {payload} B | {cell(r['raw_msg_s'], k)} | "
              f"{cell(r['uxcom_msg_s'], k)} | {cell(r['xcom_msg_s'], k)} | "
              f"{cell(r['vs_raw'], x)} | {cell(r['vs_xcom'], x)} | "
              f"{cell(r['uxcom_cpu_us_msg'], x)} | {cell(r['xcom_cpu_us_msg'], x)} | "
              f"{cell(r['allocs_per_msg'], lambda v: f'{v:.4f}')} | "
              f"{cell(r['tls_msg_s'], k)} | {cell(r['tls_vs_plain'], x)} | "
              f"{cell(r['tls_allocs_per_msg'], lambda v: f'{v:.4f}')} |")
    if latency:
        us = lambda v: f"{v:.1f}"
        print("\nRequest/reply round trip, µs: "
              f"raw mean {cell(latency['raw_rtt_mean_us'], us)}, "
              f"p99 {cell(latency['raw_rtt_p99_us'], us)}; "
              f"uxcom mean {cell(latency['uxcom_rtt_mean_us'], us)}, "
              f"p99 {cell(latency['uxcom_rtt_p99_us'], us)}; "
              f"XCom-model mean {cell(latency['xcom_rtt_mean_us'], us)}, "
              f"p99 {cell(latency['xcom_rtt_p99_us'], us)}; "
              f"uxcom allocations per round trip {cell(latency['allocs_per_rtt'], x)}")
    print("\n| target | workloads meeting it (by median) |")
    print("| --- | --- |")
    def meeting(counter, pred, payload=None):
        ok = [f"{n}×{p} B" for (n, p), r in sorted(rows.items())
              if (payload is None or p == payload) and pred(statistics.median(r[counter]))]
        return ", ".join(ok) if ok else "none"
    # Issue 10: against raw by size, against the XCom model in msg/s and in CPU per message.
    raw_target = {100: 0.5, 1024: 0.7, 16384: 0.9, 262144: 0.9}
    ok = [f"{n}×{p} B" for (n, p), r in sorted(rows.items())
          if p in raw_target and statistics.median(r['vs_raw']) >= raw_target[p]]
    print("| uxcom / raw ≥ 0.5 at 100 B, 0.7 at 1 KiB, 0.9 at 16 and 256 KiB | "
          f"{', '.join(ok) if ok else 'none'} |")
    print(f"| ≥ 1.5× the XCom model (msg/s) | {meeting('vs_xcom', lambda v: v >= 1.5)} |")
    cpu = [f"{n}×{p} B" for (n, p), r in sorted(rows.items())
           if statistics.median(r['uxcom_cpu_us_msg']) <=
           0.67 * statistics.median(r['xcom_cpu_us_msg'])]
    print("| ≤ 0.67× the XCom model's CPU per message | "
          f"{', '.join(cpu) if cpu else 'none'} |")
    print(f"| zero allocations per message (exactly 0) | "
          f"{meeting('allocs_per_msg', lambda v: v == 0)} |")
    print(f"| fewer than 1 allocation per 1,000 messages | "
          f"{meeting('allocs_per_msg', lambda v: v < 0.001)} |")
    # Issue 12: TLS (TLSv1.3, TLS_AES_256_GCM_SHA384) against plaintext in the same run.
    print(f"| TLS ≥ 0.8 of plaintext at 100 B | "
          f"{meeting('tls_vs_plain', lambda v: v >= 0.8, 100)} |")
    print(f"| TLS ≥ 0.6 of plaintext at 16 KiB | "
          f"{meeting('tls_vs_plain', lambda v: v >= 0.6, 16384)} |")
    print(f"| TLS: fewer than 1 allocation per 1,000 messages | "
          f"{meeting('tls_allocs_per_msg', lambda v: v < 0.001)} |")


if __name__ == "__main__":
    main()
