#!/usr/bin/env bash
# Session 15 call 6: the last wave of each projection warms L2 with the next projection's first
# weights (branch l2-next, SDEC_WARM_MB; 0 = off), `full` at 128K b1 and the step without
# attention, untuned defaults, the settings alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=.carry/s15b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for round in 1 2; do
  for mb in 0 8 16 32; do
    for omit in none attention; do
      args=(); [ $omit = none ] || args=(--omit $omit)
      SDEC_WARM_MB=$mb SDEC_TUNE_DIR=/tmp/none timeout 120 $s bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --steps 32 --warmup 4 --launch graph "${args[@]}" > $OUT/r$round-mb$mb-$omit.md 2>&1
      echo "round $round warm $mb MB omit $omit: $(grep -E '^\| full' $OUT/r$round-mb$mb-$omit.md | cut -d'|' -f2-5)"
    done
  done
done
