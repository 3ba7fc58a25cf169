#!/usr/bin/env bash
# Per-kernel time of decode steps under Nsight Compute: which kernels a step spends its time in.
#   benches/step_profile.sh [MODEL] [CONTEXT] [POLICY]     (GPU machine; SDEC = path to the binary)
# Prints, per kernel name, the launches and the total and mean duration over the profiled steps.
set -euo pipefail
S=${SDEC:-target/release/sdec}
MODEL=${1:-synthetic:llama-3.1-8b}
CTX=${2:-4k}
POLICY=${3:-full}
out=$(mktemp -d)
ncu --csv --metrics gpu__time_duration.sum \
    "$S" bench decode --model "$MODEL" --contexts "$CTX" --batch 1 --policy "$POLICY" --steps 2 --warmup 0 --launch eager \
    > "$out/ncu.csv" 2> "$out/err.txt" || { tail -20 "$out/err.txt"; exit 1; }
python3 - "$out/ncu.csv" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
head = rows[0]; k = head.index("Kernel Name"); v = head.index("Metric Value"); u = head.index("Metric Unit")
tot = collections.defaultdict(float); n = collections.Counter()
for r in rows[1:]:
    units = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1, "us": 1, "msecond": 1e3, "ms": 1e3}
    if r[u] not in units: continue
    scale = units[r[u]]
    name = r[k].split("(")[0]
    if name.startswith("synth_weights"): continue  # weight and cache generation, not the step
    tot[name] += float(r[v].replace(",", "")) * scale; n[name] += 1
if not tot:
    sys.exit(f"no kernel durations in the ncu output (units seen: {sorted({r[u] for r in rows[1:]})})")
all_us = sum(tot.values())
print(f"{'kernel':<60} {'launches':>8} {'total us':>10} {'mean us':>9} {'share':>6}")
for name, t in sorted(tot.items(), key=lambda x: -x[1]):
    print(f"{name[:60]:<60} {n[name]:>8} {t:>10.1f} {t / n[name]:>9.2f} {t / all_us:>6.1%}")
print(f"total {all_us:.1f} us")
PY
