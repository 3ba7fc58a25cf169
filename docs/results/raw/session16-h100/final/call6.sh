#!/usr/bin/env bash
# Session 16 call 6: the build with filled gather plans (0159345 + `--omit select`): every family
# fuzzed, the GPU test binaries, and on call 2's refined cache (.carry/t16, this build's source
# hashes) LycheeDecode with its selection on the main stream (SDEC_LYCHEE_MAIN_SELECT=1) against
# its side stream (0), alternating, at 128K b1 and b2; the side-stream rounds are the figures.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s16d/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 200 $c fuzz --cases 500 --seed 1602 > $OUT/fuzz.txt 2>&1; tail -1 $OUT/fuzz.txt
.carry/s16d/gpu_tests.sh $OUT
rm -rf /tmp/t16c && cp -r .carry/t16 /tmp/t16c && export SDEC_TUNE_DIR=/tmp/t16c
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for round in 1 2; do for m in 0 1; do
  SDEC_LYCHEE_MAIN_SELECT=$m timeout 100 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy $lychee \
    --steps 32 --warmup 5 --launch graph --json $OUT/r$round-m$m.json > $OUT/r$round-m$m.md 2>&1
  echo "round $round main-select $m: $(grep -E '^\| (full|lychee)' $OUT/r$round-m$m.md | cut -d'|' -f3,7,14 | tr '\n' ' ')"
done; done
