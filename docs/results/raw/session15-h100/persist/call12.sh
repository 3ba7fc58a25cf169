#!/usr/bin/env bash
# Session 15 call 12: `linear` tuned (sdec tune --family linear), then programmatic dependent
# launch on and off for `linear` (branch pdl-off, SDEC_NO_PDL=linear) with that cache; `full`
# and `lychee` (9% map) at 128K b1 and b2, alternating, three rounds.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=.carry/s15b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
export SDEC_TUNE_DIR=/tmp/tune-linear
timeout 200 $s tune --family linear --json $OUT/tune-linear.json > $OUT/tune-linear.md 2>&1; tail -3 $OUT/tune-linear.md
for round in 1 2 3; do
  for off in none linear; do
    SDEC_NO_PDL=$off timeout 150 $s bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
      --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --steps 48 --warmup 5 --launch graph > $OUT/r$round-off-$off.md 2>&1
    echo "round $round pdl off for $off: $(grep -E '^\| (full|lychee)' $OUT/r$round-off-$off.md | cut -d'|' -f3,7 | tr '\n' ' ')"
  done
done
