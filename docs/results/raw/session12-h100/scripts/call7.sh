#!/usr/bin/env bash
# Session 12, call 7: block scans summing the warps' totals by two warp reductions (sdec-bound3)
# against 93fc019 (sdec-bound2) on every top-k row, alternating (fuzz 3000 of the new build);
# then benches/topk_check.sh and the GPU test binaries on sdec-bound3 (copied to ./sdec).
set -u
cd "$(dirname "$0")"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$OUT/call7; mkdir -p "$out"
SHAPE="]" ROUNDS=2 CASES=3000 SEED=1207 timeout 300 ./topk_ab.sh "$out/ab" ./sdec-bound2 ./sdec-bound3
cp ./sdec-bound3 ./sdec
bash ./topk_check.sh "$out/check" 2>&1 | tail -14
rm -f "$out/check/fuzz.json"
for t in gpu_decode gpu_fuzz gpu_tune; do
  s=$(date +%s); timeout 170 ./$t > "$out/$t.txt" 2>&1
  echo "$t rc $? in $(( $(date +%s) - s )) s: $(grep 'test result' "$out/$t.txt")"
done
cd "$OUT" && tar czf call7.tgz call7 && rm -rf call7
