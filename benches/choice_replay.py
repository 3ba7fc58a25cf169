#!/usr/bin/env python3
"""Replays choice rules on pairs of recorded exhaustive tuner runs, offline.

Each argument is a folder holding `tune-exhaustive.json.gz` and `tune-exhaustive2.json.gz` (the
caches benches/tune.sh keeps, e.g. docs/results/raw/session31-h100/call2). For each rule it
prints how many entries both runs of a pair chose alike, and how much slower a run's pick was in
the other run than that run's best; with `--flips` it lists, for the tuner's own rule, every
entry the two runs chose differently and where each pick stood.

    python3 benches/choice_replay.py [--flips] DIR...
"""
import gzip
import json
import sys

CHOICE_FLOOR = 0.04  # autotune/src/strategy.rs (0.03 until session 31)


def load(path):
    """{(family, label): {index: (median_us, spread_us)}} of one cache's timed configurations."""
    entries = {}
    for e in json.load(gzip.open(path))["entries"]:
        timed = {m["index"]: (m["result"]["median_us"], m["result"].get("spread_us", 0.0))
                 for m in e["measured"] if m["result"].get("outcome") == "timed"}
        if timed:
            entries[(e["key"]["family"], e["label"])] = timed
    return entries


def best_of(timed):
    return min(timed, key=lambda i: (timed[i][0], i))


def spread_window(floor):
    """The tuner's rule: the earliest declared within the best's spread, at least `floor` of its
    median."""
    def rule(timed):
        b, spread = timed[best_of(timed)]
        window = b + max(spread, floor * b)
        return min(i for i in timed if timed[i][0] <= window)
    return rule


tuner_rule = spread_window(CHOICE_FLOOR)


def fixed_window(f):
    def rule(timed):
        b = timed[best_of(timed)][0]
        return min(i for i in timed if timed[i][0] <= b * (1 + f))
    return rule


def linked_window(link, cap):
    """The tuner's window, grown over configurations each within `link` of the last one taken
    (a cluster the edge would cut through), at most `cap` past the best."""
    def rule(timed):
        b, spread = timed[best_of(timed)]
        window = b * (1 + max(spread / b, CHOICE_FLOOR))
        for t in sorted(v[0] for v in timed.values()):
            if t <= window:
                continue
            if t <= window * (1 + link) and t <= b * (1 + cap):
                window = t
            else:
                break
        return min(i for i in timed if timed[i][0] <= window)
    return rule


RULES = {
    "tuner: max(spread, 4%)": tuner_rule,
    "max(spread, 3%) (to s. 30)": spread_window(0.03),
    "fixed 3%": fixed_window(0.03),
    "fixed 4%": fixed_window(0.04),
    "fixed 5%": fixed_window(0.05),
    "linked 0.5%, cap 6%": linked_window(0.005, 0.06),
    "fastest": lambda timed: best_of(timed),
}


def main():
    args = [a for a in sys.argv[1:] if a != "--flips"]
    if not args:
        sys.exit("usage: choice_replay.py [--flips] DIR...  (each DIR holding tune-exhaustive.json.gz and tune-exhaustive2.json.gz)")
    pairs = {d: (load(f"{d}/tune-exhaustive.json.gz"), load(f"{d}/tune-exhaustive2.json.gz")) for d in args}
    for name, rule in RULES.items():
        agree, costs = [], []
        for a, b in pairs.values():
            picks = {k: (rule(a[k]), rule(b[k])) for k in a if k in b}
            agree.append(f"{sum(pa == pb for pa, pb in picks.values())}/{len(picks)}")
            for k, (pa, pb) in picks.items():
                for pick, other in ((pa, b[k]), (pb, a[k])):
                    if pick in other:
                        costs.append(other[pick][0] / other[best_of(other)][0])
        costs.sort()
        print(f"{name:26s} agree {', '.join(agree)}; a pick in the other run: median "
              f"{costs[len(costs) // 2]:.3f}, p90 {costs[int(0.9 * len(costs))]:.3f}, max {costs[-1]:.3f}")
    if "--flips" in sys.argv:
        for d, (a, b) in pairs.items():
            for k in (k for k in a if k in b):
                pa, pb = tuner_rule(a[k]), tuner_rule(b[k])
                if pa == pb:
                    continue
                ra = lambda run, i: run[k][i][0] / run[k][best_of(run[k])][0] if i in run[k] else float("nan")
                print(f"{d}: {k[0]} {k[1]}: run 1 picks {pa} ({ra(a, pa):.3f}; {ra(b, pa):.3f} in run 2), "
                      f"run 2 picks {pb} ({ra(b, pb):.3f}; {ra(a, pb):.3f} in run 1)")


if __name__ == "__main__":
    main()
