#!/usr/bin/env bash
# Session 16 call 7: LycheeDecode's selection ranks only the retrieval rows of a layer (one top-k
# launch per row where they are at most half the rows) against every row (SDEC_LYCHEE_ALL_ROWS=1):
# the tiny model's per-step check under both, tests/gpu_decode.rs, then 128K b1/b2 alternating
# on call 2's refined cache (.carry/t16), and b2 with the selection left out for reference.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s16d/sdec
for a in 0 1; do
  SDEC_LYCHEE_ALL_ROWS=$a timeout 60 $c check --model synthetic:tiny --policy lychee --graph --steps 24 > $OUT/check-all$a.txt 2>&1
  echo "check all-rows $a: $(tail -1 $OUT/check-all$a.txt)"
done
timeout 170 .carry/s16d/gpu_decode > $OUT/gpu_decode.txt 2>&1; grep "test result" $OUT/gpu_decode.txt
rm -rf /tmp/t16c && cp -r .carry/t16 /tmp/t16c && export SDEC_TUNE_DIR=/tmp/t16c
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for round in 1 2; do for a in 0 1; do
  SDEC_LYCHEE_ALL_ROWS=$a timeout 100 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy $lychee \
    --steps 32 --warmup 5 --launch graph > $OUT/r$round-all$a.md 2>&1
  echo "round $round all-rows $a: $(grep -E '^\| (full|lychee)' $OUT/r$round-all$a.md | cut -d'|' -f3,7,14 | tr '\n' ' ')"
done; done
timeout 100 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 2 --policy $lychee --omit select \
    --steps 32 --warmup 5 --launch graph > $OUT/omit-select-b2.md 2>&1
echo "omit select b2: $(grep -E '^\| lychee' $OUT/omit-select-b2.md | cut -d'|' -f3,7)"
