#!/usr/bin/env bash
# Session 11: topk CLUSTER variants: initial L2 prefetch of 2 (a), 4 (p4) or all (pall) tiles of
# the segment, and pall with a sample of 1024 (pall-s1k): alternating benches of the long rows,
# fuzz of the two pall builds.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
for round in 1 2; do for v in a p4 pall pall-s1k; do
  timeout 60 $here/sdec-$v bench kernels --family topk --shape "131072]" --json $out/ab-$v-$round.json > /dev/null 2>&1
  python3 - $out/ab-$v-$round.json $v <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
for r in d['rows']:
    t=sorted(r['timings'], key=lambda x: x[1])
    print(sys.argv[2], r['shape'], ' '.join('%.2f' % v for c, v in t[:3]), t[0][0])
PY
done; done
stamp "benches done"
for v in pall pall-s1k; do
  timeout 60 $here/sdec-$v fuzz --family topk --cases 800 --seed 119 > $out/fuzz-$v.txt 2>&1
  stamp "fuzz $v rc $?: $(tail -1 $out/fuzz-$v.txt)"; grep -A1 '^FAIL' $out/fuzz-$v.txt | head -4; rm -f $out/fuzz-$v.txt
done
