#!/usr/bin/env bash
# Session 16 call 9: the o projection launched as a programmatic dependent of the attention's
# `combine` (which now lets it start at once; `linear` prefetches its first weights, then waits):
# SDEC_O_DEPENDENT=1 against 0 on one binary (o-dependent.diff) and call 2's refined cache under
# this build's source hashes (.carry/t16o), alternating; 128K b1 and b2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
c=.carry/s16o/sdec
rm -rf /tmp/to && cp -r .carry/t16o /tmp/to && export SDEC_TUNE_DIR=/tmp/to
SDEC_O_DEPENDENT=1 timeout 60 $c check --model synthetic:tiny --policy lychee --policy full --graph --steps 24 > $OUT/check.txt 2>&1
echo "check: $(grep -c PASS $OUT/check.txt) PASS, $(grep -c FAIL $OUT/check.txt) FAIL"
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for round in 1 2; do for d in 0 1; do
  SDEC_O_DEPENDENT=$d timeout 120 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy $lychee --policy specattn --steps 32 --warmup 5 --launch graph > $OUT/r$round-o$d.md 2>&1
  echo "round $round o-dependent $d: $(grep -E '^\| (full|lychee|specattn)' $OUT/r$round-o$d.md | cut -d'|' -f3,7 | tr '\n' ' ') rounds $(grep -E '^\| [12] \| 1308' $OUT/r$round-o$d.md | cut -d'|' -f5 | tr '\n' ' ')"
done; done
