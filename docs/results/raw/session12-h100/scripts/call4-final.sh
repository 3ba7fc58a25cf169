#!/usr/bin/env bash
# Session 12, call 4: benches/topk_check.sh on the committed top-k (3f5bb76: fuzz 3000, beside
# torch.topk, sanitizers, ncu times), the GPU test binaries, and where [64 x 2048] k=64's time
# goes: builds whose topk_resident stops after the load (v1: the keys loaded, k values written)
# or after the select (v2), timed alternating with the full kernel.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$OUT/final; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
bash $here/topk_check.sh $out/check 2>&1 | tail -14
rm -f $out/check/fuzz.json
for t in gpu_decode gpu_fuzz gpu_tune; do
  s=$(date +%s); timeout 170 $here/$t > $out/$t.txt 2>&1
  echo "$t rc $? in $(( $(date +%s) - s )) s: $(grep 'test result' $out/$t.txt)"
done
C='{"threads":512,"items":4,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":11}'
D='{"threads":256,"items":8,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":8}'
for round in 1 2 3; do
  for b in sdec-v1 sdec-v2 sdec; do
    $here/$b bench kernels --family topk --shape "2048]" --config "$C" --config "$D" --json $out/phase-$b-$round.json > /dev/null 2>&1
    python3 -c "
import json,sys
for r in json.load(open('$out/phase-$b-$round.json'))['rows']: print('$b', r['shape'], ' '.join('%.2f' % t for _, t in r['timings']))"
  done
done
$here/sdec bench kernels --family topk --shape "[1 x 1]" 2>/dev/null | grep -i "1 x 1"
cd $OUT && tar czf final.tgz final && rm -rf final
