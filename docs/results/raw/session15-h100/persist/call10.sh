#!/usr/bin/env bash
# Session 15 call 10: programmatic dependent launch on and off (branch pdl-off, SDEC_NO_PDL=1),
# `full` at 128K b1 and the step without attention, untuned defaults, alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=.carry/s15b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for round in 1 2; do
  for pdl in on off; do
    for omit in none attention; do
      args=(); [ $omit = none ] || args=(--omit $omit)
      env=(); [ $pdl = off ] && env=(SDEC_NO_PDL=1)
      env "${env[@]}" SDEC_TUNE_DIR=/tmp/none timeout 120 $s bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
        --policy full --steps 32 --warmup 4 --launch graph "${args[@]}" > $OUT/r$round-pdl-$pdl-$omit.md 2>&1
      echo "round $round pdl $pdl omit $omit: $(grep -E '^\| full' $OUT/r$round-pdl-$pdl-$omit.md | cut -d'|' -f3,7 | tr '\n' ' ')"
    done
  done
done
