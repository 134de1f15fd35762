#!/usr/bin/env python3
"""Instructions per iteration of codec_bench rows, counted by callgrind: a figure that does not
move with the machine's load, for before/after comparisons that wall time cannot settle.

  bench/instruction_counts.py --filter='decode/small_app/x_1_6/' \\
      before=/work/wt/before/bazel-bin/bench/codec_bench after=bazel-bin/bench/codec_bench

Each row runs twice under `valgrind --tool=callgrind`, with CODEC_BENCH_ITERATIONS=N1 and N2
(codec_bench then runs it exactly that often, with no estimation runs), collecting only inside
Google Benchmark's run of the row (LambdaBenchmark::Run). (Ir(N2) - Ir(N1)) / (N2 - N1) is one
iteration's instructions with the row's setup cancelled out. With more than one binary, the
table gives each binary's count and its ratio to the first one's; rows missing from a binary are
left empty. Needs valgrind (`apt-get install valgrind`; not a test dependency).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

COLLECT = "benchmark::internal::LambdaBenchmark*::Run*"


def list_rows(binary, pattern):
    out = subprocess.run([binary, "--benchmark_list_tests", f"--benchmark_filter={pattern}"],
                         check=True, capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def instructions(binary, row, iterations, workdir):
    out_file = os.path.join(workdir, "callgrind.out")
    env = dict(os.environ, CODEC_BENCH_ITERATIONS=str(iterations))
    subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                    f"--toggle-collect={COLLECT}", f"--callgrind-out-file={out_file}", binary,
                    f"--benchmark_filter=^{re.escape(row)}(/iterations:[0-9]+)?$"],
                   check=True, env=env, capture_output=True)
    with open(out_file) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"{binary} {row}: no totals in callgrind's output")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filter", required=True, help="a --benchmark_filter regex")
    parser.add_argument("--n1", type=int, default=1000)
    parser.add_argument("--n2", type=int, default=3000)
    parser.add_argument("binaries", nargs="+", help="name=path; the first is the reference")
    args = parser.parse_args()
    binaries = [b.split("=", 1) for b in args.binaries]
    rows = {name: set(list_rows(path, args.filter)) for name, path in binaries}
    all_rows = sorted(set().union(*rows.values()))
    header = ["row"] + [f"{name} Ir/iter" for name, _ in binaries]
    header += [f"{name}/{binaries[0][0]}" for name, _ in binaries[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    worst = None
    with tempfile.TemporaryDirectory() as workdir:
        for row in all_rows:
            counts = []
            for name, path in binaries:
                if row not in rows[name]:
                    counts.append(None)
                    continue
                low = instructions(path, row, args.n1, workdir)
                high = instructions(path, row, args.n2, workdir)
                counts.append((high - low) / (args.n2 - args.n1))
            cells = [row] + ["" if c is None else f"{c:,.0f}" for c in counts]
            for c in counts[1:]:
                if c is None or not counts[0]:
                    cells.append("")
                    continue
                ratio = c / counts[0]
                cells.append(f"{ratio:.3f}")
                if worst is None or ratio > worst[0]:
                    worst = (ratio, row)
            print("| " + " | ".join(cells) + " |", flush=True)
    if worst is not None:
        print(f"\nhighest ratio: {worst[0]:.3f} ({worst[1]})", file=sys.stderr)


if __name__ == "__main__":
    main()
