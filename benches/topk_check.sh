#!/usr/bin/env bash
# Top-k on the GPU in one go (docs/results/kernels.md): the fuzzer, the benchmark beside torch.topk,
# compute-sanitizer on a configuration of each strategy, and ncu's kernel times of the best ones.
# On the GPU machine, with sdec, kernels.sh and torch_peers.py beside this script:
#   benches/topk_check.sh OUTDIR
set -u
here="$(cd "$(dirname "$0")" && pwd)"
sdec="$here/sdec"
out="${1:-.}"
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
t0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }

timeout 150 "$sdec" fuzz --family topk --cases 3000 --seed 21 --json "$out/fuzz.json" > "$out/fuzz.txt" 2>&1
stamp "fuzz rc $?, $(grep -c '^FAIL' "$out/fuzz.txt") failures"
grep -A1 '^FAIL' "$out/fuzz.txt" | head -8
tail -2 "$out/fuzz.txt"

SDEC="$sdec" timeout 110 bash "$here/kernels.sh" "$out/bench" topk 2>&1 | grep -v '^bench: topk\|^bench: copy\|^bench: launch'
stamp "bench done"

# Case i of the fuzzer takes configuration i mod 216 (declaration order): 0 FUSED, 1 RESIDENT
# (11-bit digits), 2 RESIDENT (8-bit digits), 6 MULTI, 7 and 223 CLUSTER (2 CTAs).
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
for tool in memcheck racecheck; do
    for case in 0 1 2 6 7 223; do
        timeout 25 "$sanitizer" --tool "$tool" --error-exitcode 9 "$sdec" fuzz --family topk --case "$case" --seed 5 --max-size 100000 > /tmp/sanitizer.log 2>&1
        rc=$?
        echo "== $tool case $case: exit $rc" >> "$out/sanitizer.txt"
        grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|passed,|Invalid|hazard|error' /tmp/sanitizer.log | head -4 >> "$out/sanitizer.txt"
    done
done
stamp "sanitizer: $(grep -c ': exit 0' "$out/sanitizer.txt") of 12 runs exit 0"
grep '^== ' "$out/sanitizer.txt" | grep -v ': exit 0'

# Kernel time alone (no launch gap) of the configurations that won on the standard shapes before.
A='{"threads":512,"items":8,"ctas_per_row":8,"aggregate":false,"strategy":2,"digit_bits":11}'
B='{"threads":512,"items":8,"ctas_per_row":2,"aggregate":false,"strategy":2,"digit_bits":11}'
C='{"threads":512,"items":4,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":11}'
timeout 45 ncu --clock-control none --kernel-name regex:topk --metrics gpu__time_duration.sum --csv \
    "$sdec" bench kernels --family topk --config "$A" --config "$B" --config "$C" > "$out/ncu_time.csv" 2>/dev/null
stamp "ncu rc $?"
