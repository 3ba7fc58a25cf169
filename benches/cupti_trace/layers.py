#!/usr/bin/env python3
"""Per-layer attention of a decode step from summary.py's step CSV (offset_us, duration_us,
name): for each `attend`, the time from the end of the `linear` before it (the q|k|v product) to
its own end, and the `combine` after it past that. Layers are grouped by that time against
SPLIT_US (LycheeDecode at 128K: the sparse layers take ~11 µs, the mixed ones ~34, layer 0 ~190);
prints the median of each group.
  layers.py STEP.csv[.gz] [SPLIT_US ...]   (default 20 100)"""
import csv
import gzip
import statistics
import sys


def rows_of(path):
    f = gzip.open(path, "rt") if path.endswith(".gz") else open(path)
    return sorted((float(r["offset_us"]), float(r["duration_us"]), r["name"]) for r in csv.DictReader(f))


def layers(rows):
    """(attend end − q|k|v end, combine end − attend end) per layer."""
    out = []
    for i, (start, dur, name) in enumerate(rows):
        if name != "attend":
            continue
        qkv = [r for r in rows[:i] if r[2] == "linear"][-1]
        combine = next(r for r in rows[i + 1:] if r[2] == "combine")
        end = start + dur
        out.append((end - (qkv[0] + qkv[1]), combine[0] + combine[1] - end))
    return out


def main():
    path = sys.argv[1]
    splits = [float(s) for s in sys.argv[2:]] or [20.0, 100.0]
    bounds = [0.0] + splits + [float("inf")]
    per = layers(rows_of(path))
    print("| layers (attend after q|k|v) | count | attend µs (median) | combine tail µs (median) |")
    print("| --- | --- | --- | --- |")
    for lo, hi in zip(bounds, bounds[1:]):
        group = [p for p in per if lo <= p[0] < hi]
        if group:
            print(f"| {lo:g}–{hi:g} µs | {len(group)} | {statistics.median(g[0] for g in group):.2f} | {statistics.median(g[1] for g in group):.2f} |")


if __name__ == "__main__":
    main()
