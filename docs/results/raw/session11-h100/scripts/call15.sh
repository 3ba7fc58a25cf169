#!/usr/bin/env bash
# Session 11: topk CLUSTER whose digit rounds read every CTA's histogram in place (f) against the
# committed build (a), alternating; fuzz of f.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
timeout 100 $here/sdec-f fuzz --family topk --cases 2000 --seed 121 > $out/fuzz-f.txt 2>&1
stamp "fuzz f rc $?: $(tail -1 $out/fuzz-f.txt)"; grep -A1 '^FAIL' $out/fuzz-f.txt | head -4; rm -f $out/fuzz-f.txt
for round in 1 2 3; do for v in a f; do
  timeout 60 $here/sdec-$v bench kernels --family topk --shape "131072]" --json $out/ab-$v-$round.json > /dev/null 2>&1
  python3 - $out/ab-$v-$round.json $v <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
for r in d['rows']:
    t=sorted(r['timings'], key=lambda x: x[1])
    print(sys.argv[2], r['shape'], ' '.join('%.2f' % v for c, v in t[:3]), t[0][0])
PY
done; done
stamp done
