#!/usr/bin/env bash
# Session 12, call 6: RESIDENT with the bound read by one warp reduction and the output placed
# by ballots (sdec-bound2) against b30729d (sdec-bound): fuzz of the new build, alternating
# benchmarks of [64 x 2048] k=64, compute-sanitizer on the new path.
set -u
cd "$(dirname "$0")"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$OUT/call6; mkdir -p "$out"
SHAPE="2048]" ROUNDS=4 CASES=3000 SEED=1206 timeout 300 ./topk_ab.sh "$out/ab" ./sdec-bound ./sdec-bound2
C='{"threads":512,"items":4,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":11}'
D='{"threads":256,"items":8,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":8}'
san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck; do
  for cfg in "$C" "$D"; do
    timeout 60 "$san" --tool $tool --error-exitcode 9 ./sdec-bound2 bench kernels --family topk --shape "[64 x 2048] k=64" --config "$cfg" > /tmp/san.log 2>&1
    echo "== $tool $cfg: exit $?" | tee -a "$out/sanitizer.txt"
    grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|hazard|Invalid' /tmp/san.log | head -3 | tee -a "$out/sanitizer.txt"
  done
done
timeout 60 ncu --clock-control none -k regex:topk_resident --metrics gpu__time_duration.sum,smsp__inst_executed.sum --csv ./sdec-bound2 bench kernels --family topk --shape "[64 x 2048] k=64" --config "$C" --config "$D" > "$out/ncu_time.csv" 2>&1
cd "$OUT" && tar czf call6.tgz call6 && rm -rf call6
