#!/usr/bin/env python3
"""Summarises the last decode step of a CUPTI kernel trace (trace.c's CSV): the step's span, each
stream's busy time and kernels, the main stream's idle gaps and what bounds them, and what the
other streams ran beside the main one.
  summary.py TRACE.csv STEP_OUT.csv"""
import csv
import sys
from collections import defaultdict

rows = [dict(r, start=int(r["start_ns"]), end=int(r["end_ns"])) for r in csv.DictReader(open(sys.argv[1]))]
rows.sort(key=lambda r: r["start"])
starts = [i for i, r in enumerate(rows) if r["name"] == "embed"]
if not starts:
    sys.exit("no `embed` kernel in the trace: not a decode run?")
step = rows[starts[-1]:]
t0 = step[0]["start"]
main = step[0]["stream"]
span = max(r["end"] for r in step) - t0
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["offset_us", "duration_us", "stream", "name"])
    for r in step:
        w.writerow([f"{(r['start'] - t0) / 1e3:.2f}", f"{(r['end'] - r['start']) / 1e3:.2f}", r["stream"], r["name"]])


def busy(rs):
    """Time covered by the union of the kernels' intervals, ns."""
    total, until = 0, None
    for r in sorted(rs, key=lambda r: r["start"]):
        if until is None or r["start"] > until:
            total += r["end"] - r["start"]
            until = r["end"]
        elif r["end"] > until:
            total += r["end"] - until
            until = r["end"]
    return total


by_stream = defaultdict(list)
for r in step:
    by_stream[r["stream"]].append(r)
print(f"last step: {len(step)} kernels, {span / 1e3:.1f} us from its embed to its last kernel's end; main stream {main}")
for s, rs in sorted(by_stream.items(), key=lambda kv: -len(kv[1])):
    print(f"  stream {s}{' (main)' if s == main else ''}: {len(rs)} kernels, busy {busy(rs) / 1e3:.1f} us, "
          f"sum of durations {sum(r['end'] - r['start'] for r in rs) / 1e3:.1f} us")
    totals = defaultdict(lambda: [0, 0])
    for r in rs:
        totals[r["name"]][0] += 1
        totals[r["name"]][1] += r["end"] - r["start"]
    for name, (n, ns) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:12]:
        print(f"      {name:28s} x{n:<4d} {ns / 1e3:9.1f} us  ({ns / n / 1e3:.2f} us each)")

m = by_stream[main]
gaps = [(b["start"] - a["end"], a["name"], b["name"], a["end"] - t0) for a, b in zip(m, m[1:]) if b["start"] > a["end"]]
idle = sum(g[0] for g in gaps)
print(f"main stream idle between its kernels: {idle / 1e3:.1f} us in {len(gaps)} gaps; the largest:")
for g, before, after, at in sorted(gaps, reverse=True)[:12]:
    others = [r["name"] for s, rs in by_stream.items() if s != main for r in rs if r["start"] < at + t0 + g and r["end"] > at + t0]
    print(f"  {g / 1e3:7.2f} us at {at / 1e3:8.1f}: after {before}, before {after}" + (f"; beside {sorted(set(others))}" if others else ""))
gap_names = defaultdict(lambda: [0, 0])
for g, before, after, _ in gaps:
    gap_names[(before, after)][0] += 1
    gap_names[(before, after)][1] += g
print("main stream idle by the kernel pair around it (top 10):")
for (before, after), (n, ns) in sorted(gap_names.items(), key=lambda kv: -kv[1][1])[:10]:
    print(f"  {before} -> {after}: x{n}, {ns / 1e3:.1f} us ({ns / n / 1e3:.2f} us each)")
