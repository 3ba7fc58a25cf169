#!/usr/bin/env bash
# Session 15 call 15: LycheeDecode's mixed layers as two gather launches side by side (branch
# mixed-two-launches, SDEC_SPLIT_MIXED=1): the tiny model's per-step check against the CPU
# reference, the LycheeDecode gather shapes tuned, then lychee (9% map) 128K b1/b2 with and without, alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s15c/sdec
for split in 0 1; do
  SDEC_SPLIT_MIXED=$split timeout 60 $c check --model synthetic:tiny --policy lychee --graph --steps 24 > $OUT/check-split$split.txt 2>&1
  echo "check split $split: $(tail -2 $OUT/check-split$split.txt | tr '\n' ' ')"
done
export SDEC_TUNE_DIR=/tmp/tg
timeout 150 $c tune --family gather_attention --shapes b1-ctx128k-lychee,b1-ctx128k-lychee-sparse,b2-ctx128k-lychee,b2-ctx128k-lychee-sparse --json $OUT/tune-gather.json > $OUT/tune-gather.md 2>&1; tail -2 $OUT/tune-gather.md
for round in 1 2; do
  for split in 0 1; do
    SDEC_SPLIT_MIXED=$split timeout 60 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
      --policy lychee:heads=docs/results/llama8b-heads-9pct.json --steps 32 --warmup 4 --launch graph > $OUT/r$round-split$split.md 2>&1
    echo "round $round split $split: $(grep -E '^\| lychee' $OUT/r$round-split$split.md | cut -d'|' -f3,7 | tr '\n' ' ')"
  done
done
