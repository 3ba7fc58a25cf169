#!/usr/bin/env bash
# Session 11: topk build d (a + the sample's select aggregated per warp, two digits): bench a and
# d alternately on the long rows; then d's full check (benches/topk_check.sh: fuzz 3000, bench
# beside torch.topk, sanitizers, ncu times).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
for round in 1 2; do for v in a e; do
  timeout 60 $here/sdec-$v bench kernels --family topk --shape "131072]" --json $out/ab-$v-$round.json > /dev/null 2>&1
  python3 - $out/ab-$v-$round.json $v <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
for r in d['rows']:
    t=sorted(r['timings'], key=lambda x: x[1])
    print(sys.argv[2], r['shape'], ' '.join('%.2f' % v for c, v in t[:3]), t[0][0])
PY
done; done
stamp "a/e done"
cp $here/sdec-a $here/sdec
bash $here/topk_check.sh $out/check 2>&1 | tail -25
stamp "check done"
timeout 60 $here/sdec-e fuzz --family topk --cases 1500 --seed 118 > $out/fuzz-e.txt 2>&1
stamp "fuzz e rc $?: $(tail -1 $out/fuzz-e.txt)"; grep -A1 '^FAIL' $out/fuzz-e.txt | head -4; rm -f $out/fuzz-e.txt $out/check/fuzz.json
cd $out && tar czf check.tgz check && rm -rf check
