#!/usr/bin/env bash
# Session 16 call 3: where LycheeDecode's step spends what `full` does not, in its own graph
# (`sdec bench decode --omit`), on call 2's refined cache (carried as .carry/t16); then
# `sdec tune --refine` of lychee b1 with five candidates an entry instead of two.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s16b/sdec
rm -rf /tmp/t16c && cp -r .carry/t16 /tmp/t16c && export SDEC_TUNE_DIR=/tmp/t16c
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for omit in none select attention; do
  args=(); [ $omit != none ] && args=(--omit $omit)
  timeout 100 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy $lychee \
    --steps 32 --warmup 5 --launch graph "${args[@]}" > $OUT/omit-$omit.md 2>&1
  echo "omit $omit:"; grep -E "^\| (full|lychee)" $OUT/omit-$omit.md | cut -d'|' -f2,3,7
done
timeout 250 $c tune --cache /tmp/t16c --refine $lychee --refine-batch 1 --refine-candidates 5 --refine-steps 16 \
  --json $OUT/refine5-lychee-b1.json > $OUT/refine5-lychee-b1.md 2> $OUT/refine5-lychee-b1.log
cat $OUT/refine5-lychee-b1.md
