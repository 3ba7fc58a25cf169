#!/usr/bin/env bash
# Session 15 call 11: programmatic dependent launch off for `linear` only, for the attention
# kernels only, for both, and on (branch pdl-off, SDEC_NO_PDL); `full` and `lychee` (9% map) at
# 128K b1 and b2, untuned defaults, alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=.carry/s15b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for round in 1 2; do
  for off in none linear attention 1; do
    SDEC_NO_PDL=$off SDEC_TUNE_DIR=/tmp/none timeout 150 $s bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
      --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --steps 32 --warmup 4 --launch graph > $OUT/r$round-off-$off.md 2>&1
    echo "round $round pdl off for $off: $(grep -E '^\| (full|lychee)' $OUT/r$round-off-$off.md | cut -d'|' -f2,3,7 | tr '\n' ' ')"
  done
done
