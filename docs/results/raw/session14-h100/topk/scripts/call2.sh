#!/usr/bin/env bash
# Session 14 call 2: benches/topk_check.sh on main with digit 0's leaders (8de8c73 + 1e99248: fuzz
# 3000, every top-k row beside torch.topk, memcheck/racecheck, ncu), then the GPU test binaries.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$OUT/final; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
bash $here/topk_check.sh $out/check 2>&1 | tail -16
rm -f $out/check/fuzz.json
for t in gpu_decode gpu_fuzz gpu_tune; do
  s=$(date +%s); timeout 150 $here/$t > $out/$t.txt 2>&1
  echo "$t rc $? in $(( $(date +%s) - s )) s: $(grep 'test result' $out/$t.txt)"
done
cd $OUT && tar czf final.tgz final && rm -rf final
