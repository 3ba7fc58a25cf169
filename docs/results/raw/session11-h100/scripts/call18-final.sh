#!/usr/bin/env bash
# Session 11, last call: benches/topk_check.sh on the committed top-k (fuzz 3000, beside
# torch.topk, sanitizers, ncu times), then the GPU test binaries.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
bash $here/topk_check.sh $out/check 2>&1 | tail -14
rm -f $out/check/fuzz.json
for t in gpu_decode gpu_fuzz gpu_tune; do
  s=$(date +%s); timeout 170 $here/$t > $out/$t.txt 2>&1
  echo "$t rc $? in $(( $(date +%s) - s )) s: $(grep 'test result' $out/$t.txt)"
done
cd $out && tar czf check.tgz check && rm -rf check
