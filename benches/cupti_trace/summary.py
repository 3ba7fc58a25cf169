#!/usr/bin/env python3
"""Summarises the last decode step (or the last few passes) of a CUPTI kernel trace (trace.c's CSV): its span, the time no
kernel ran, each kernel's total, and what ran together. Streams are not used: a graph's nodes run
on the graph's own internal streams (a LycheeDecode step's layers land on a dozen of them), and
kernels launched as programmatic dependents start before their predecessor ends and wait inside,
so their durations include that wait.
  summary.py TRACE.csv STEP_OUT.csv [PASSES]
PASSES (default 1): how many passes (each starts with `embed`) from the end make the span, e.g. 7
for a SpecAttn round of six drafts and the verification."""
import csv
import sys
from collections import defaultdict


def load(path):
    rows = [(int(r["start_ns"]), int(r["end_ns"]), r["name"]) for r in csv.DictReader(open(path))]
    return sorted(rows)


def last_passes(rows, passes=1):
    """The kernels from the `passes`-th last `embed` (a pass's first kernel) on."""
    starts = [i for i, r in enumerate(rows) if r[2] == "embed"]
    if len(starts) < passes:
        sys.exit(f"{len(starts)} `embed` kernels in the trace, {passes} passes asked for: not a decode run?")
    return rows[starts[-passes]:]


def together(step):
    """{frozenset of kernel names running: ns}, over the step's span (the empty set: idle)."""
    edges = sorted({t for s, e, _ in step for t in (s, e)})
    spans = defaultdict(int)
    for a, b in zip(edges, edges[1:]):
        running = frozenset(n for s, e, n in step if s < b and e > a)
        spans[running] += b - a
    return spans


def main(trace, step_out, passes=1):
    step = last_passes(load(trace), passes)
    t0 = step[0][0]
    span = max(e for _, e, _ in step) - t0
    with open(step_out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["offset_us", "duration_us", "name"])
        for s, e, n in step:
            w.writerow([f"{(s - t0) / 1e3:.2f}", f"{(e - s) / 1e3:.2f}", n])
    spans = together(step)
    print(f"last {passes} pass{'es' if passes > 1 else ''}: {len(step)} kernels, {span / 1e3:.1f} us from the first embed to the last kernel's end; "
          f"no kernel running for {spans.get(frozenset(), 0) / 1e3:.1f} us of it")
    totals = defaultdict(lambda: [0, 0])
    for s, e, n in step:
        totals[n][0] += 1
        totals[n][1] += e - s
    print("kernels (durations of programmatic dependents include their wait):")
    for n, (count, ns) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        print(f"  {n:28s} x{count:<4d} {ns / 1e3:9.1f} us  ({ns / count / 1e3:.2f} us each)")
    print("what ran together (the step's span split by the set of kernels running):")
    for names, ns in sorted(spans.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {ns / 1e3:9.1f} us  {' + '.join(sorted(names)) or '(nothing)'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
