#!/usr/bin/env python3
"""Markdown tables of docs/results/reference.md from the `sdec eval passkey --json` outputs given."""
import json
import re
import sys

reports = [json.load(open(p)) for p in sys.argv[1:]]
cases = [c for r in reports for c in r["cases"]]
policies = list(dict.fromkeys(c["policy"] for c in cases))
lengths = sorted({c["length"] for c in cases})


def short(p):
    p = p.replace(",heads=docs/results/smollm2-heads-2of3.json", ",heads=2of3")
    p = p.replace(",heads=docs/results/smollm2-heads-profiled.json", ",heads=profiled")
    return re.sub(r",heads=docs/results/heads-sweep/smollm2-heads-profiled-([0-9.]+)\.json", r",heads=profiled-\1", p)


print("| policy | " + " | ".join(f"{l // 1024}K: correct / agree / KV read" for l in lengths) + " |")
print("| --- |" + " --- |" * len(lengths))
for p in policies:
    cells = []
    for l in lengths:
        sel = [c for c in cases if c["policy"] == p and c["length"] == l]
        n = len(sel)
        ok = sum(c["correct"] for c in sel)
        ag = sum(c["agrees_with_full"] for c in sel)
        kv = sum(c["kv_read_fraction"] for c in sel) / max(n, 1)
        extra = ""
        acc = [c["mean_acceptance"] for c in sel if c["mean_acceptance"] is not None]
        rec = [c["mean_recall"] for c in sel if c["mean_recall"] is not None]
        if acc:
            extra = f", {sum(acc) / len(acc):.1f} tok/round"
        if rec:
            extra = f", recall {sum(rec) / len(rec):.2f}"
        cells.append(f"{ok}/{n} / {ag}/{n} / {kv:.2f}{extra}")
    print(f"| `{short(p)}` | " + " | ".join(cells) + " |")

print()
print("Misses (answer given, pass key expected):")
print()
for c in cases:
    if not c["correct"]:
        print(f"- `{short(c['policy'])}`, {c['prompt_tokens']} tokens, depth {c['depth']}: "
              f"{c['answer'].replace('<|im_end|>', '')!r} (key {c['passkey']})")
print()
print("Prefill seconds per prompt (one shared by all policies):",
      ", ".join(f"{c['prompt_tokens']}: {c['prefill_seconds']:.0f}" for c in cases if c["policy"] == "full"))
