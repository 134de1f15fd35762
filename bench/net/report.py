#!/usr/bin/env python3
"""Summarizes several //bench:net_bench JSON runs: per-benchmark medians and the issue-3 targets.

Run-to-run variation on a shared 2-vCPU machine is large, so one run proves little. Run the
benchmark several times (each run interleaves the four implementations per configuration), then:

  for i in 1 2 3 4 5; do
    bazel-bin/bench/net_bench --benchmark_format=json > /tmp/net_bench.$i.json
  done
  python3 bench/net/report.py /tmp/net_bench.*.json

Prints a markdown table of medians (with the min-max range over the runs), then every target of
issue 3 with its ratio, computed from the medians.
"""

import json
import re
import statistics
import sys

IMPLS = ["uxcom_io_uring", "uxcom_epoll", "asio_epoll", "asio_io_uring"]
NAME = re.compile(r"^(PingPong64|Stream)/([a-z_]+)/(?:size:(\d+)/)?conns:(\d+)")


def load(paths):
    """{(kind, size, conns): {impl: {counter: [values over runs]}}}"""
    data = {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        for b in doc["benchmarks"]:
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            m = NAME.match(b["name"])
            if not m:
                continue
            kind, impl, size, conns = m.group(1), m.group(2), m.group(3), int(m.group(4))
            key = (kind, int(size) if size else 64, conns)
            counters = data.setdefault(key, {}).setdefault(impl, {})
            for k, v in b.items():
                if isinstance(v, (int, float)):
                    counters.setdefault(k, []).append(float(v))
    return data


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt_rate(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def metric(kind):
    return ("rtt_us", "RTT µs", lambda v: f"{v:.1f}") if kind == "PingPong64" else (
        "msgs_per_s", "msg/s", fmt_rate)


def table(data, runs):
    print(f"Medians of {runs} runs (min-max in parentheses); CPU = ns of CPU time (both threads) "
          "per message or round trip.\n")
    print("| benchmark | " + " | ".join(IMPLS) + " |")
    print("| --- |" + " --- |" * len(IMPLS))
    for key in sorted(data, key=lambda k: (k[0] != "PingPong64", k[1], k[2])):
        kind, size, conns = key
        field, unit, f = metric(kind)
        label = (f"ping-pong 64 B, {conns} conn: {unit}" if kind == "PingPong64" else
                 f"stream {size} B, {conns} conn: {unit}")
        cells = []
        for impl in IMPLS:
            c = data[key].get(impl, {})
            vals = c.get(field, [])
            if not vals:
                cells.append("-")
                continue
            cpu = median(c.get("cpu_ns_per_msg", []))
            cells.append(f"{f(median(vals))} ({f(min(vals))}-{f(max(vals))}); CPU {cpu:.0f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def get(data, kind, size, conns, impl, field):
    return median(data.get((kind, size, conns), {}).get(impl, {}).get(field, []))


def targets(data):
    print("\n| target | measured (medians) | ratio | met? |")
    print("| --- | --- | --- | --- |")
    for size in (64, 1024):
        best_asio = max(IMPLS[2:], key=lambda i: get(data, "Stream", size, 8, i, "msgs_per_s"))
        asio = get(data, "Stream", size, 8, best_asio, "msgs_per_s")
        for impl in IMPLS[:2]:
            ux = get(data, "Stream", size, 8, impl, "msgs_per_s")
            r = ux / asio
            print(f"| stream {size} B, 8 conns: {impl} ≥ 1.3x faster asio ({best_asio}) | "
                  f"{fmt_rate(ux)} vs {fmt_rate(asio)} | {r:.2f}x | {'yes' if r >= 1.3 else 'no'} |")
    rows = [("PingPong64", 64, "ping-pong 64 B")] + [
        ("Stream", s, f"stream {s} B") for s in (64, 1024, 65536)]
    for kind, size, label in rows:
        field = metric(kind)[0]
        u = get(data, kind, size, 8, "uxcom_io_uring", field)
        e = get(data, kind, size, 8, "uxcom_epoll", field)
        r = e / u if kind == "PingPong64" else u / e
        print(f"| {label}, 8 conns: io_uring ≥ 1.1x uxcom epoll | {u:.4g} vs {e:.4g} | "
              f"{r:.2f}x | {'yes' if r >= 1.1 else 'no'} |")
    for kind, size, label in rows:
        field = metric(kind)[0]
        u = get(data, kind, size, 1, "uxcom_io_uring", field)
        e = get(data, kind, size, 1, "uxcom_epoll", field)
        r = e / u if kind == "PingPong64" else u / e
        print(f"| {label}, 1 conn: io_uring within 10 % of uxcom epoll | {u:.4g} vs {e:.4g} | "
              f"{r:.2f}x | {'yes' if r >= 0.9 else 'no'} |")
    for conns in (1, 8):
        best = min(get(data, "PingPong64", 64, conns, i, "rtt_us") for i in IMPLS[2:])
        for impl in IMPLS[:2]:
            u = get(data, "PingPong64", 64, conns, impl, "rtt_us")
            print(f"| ping-pong RTT, {conns} conn: {impl} ≤ faster asio | {u:.1f} vs {best:.1f} µs"
                  f" | {best / u:.2f}x | {'yes' if u <= best else 'no'} |")


def main(paths):
    if not paths:
        print(__doc__)
        return 2
    data = load(paths)
    table(data, len(paths))
    targets(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
