#!/usr/bin/env bash
# Session 16 call 8: `rope_append` lets the attention start at once, and `attend` asks L2 for its
# first cache rows (dense: SDEC_EARLY_TOKENS; listed: SDEC_EARLY_LIST_TOKENS) before waiting on it.
# Build s16e (early.diff) with 0/0 (the early start alone), 128/128 and 512/256 against the
# build without it (s16d = 0159345 + --omit select), each on call 2's refined cache
# (.carry/t16; .carry/t16e the same winners under s16e's source hashes), alternating, 128K b1.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
rm -rf /tmp/ta /tmp/tb && cp -r .carry/t16 /tmp/ta && cp -r .carry/t16e /tmp/tb
SDEC_EARLY_TOKENS=512 SDEC_EARLY_LIST_TOKENS=256 SDEC_TUNE_DIR=/tmp/tb timeout 60 .carry/s16e/sdec check --model synthetic:tiny --policy lychee --policy full --graph --steps 24 > $OUT/check.txt 2>&1
echo "check: $(grep -c PASS $OUT/check.txt) PASS, $(grep -c FAIL $OUT/check.txt) FAIL"
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
run() {  # name binary cache early list
  SDEC_EARLY_TOKENS=$4 SDEC_EARLY_LIST_TOKENS=$5 SDEC_TUNE_DIR=$3 timeout 100 $2 bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
    --policy full --policy $lychee --policy specattn --steps 32 --warmup 5 --launch graph > $OUT/$1.md 2>&1
  echo "$1: $(grep -E '^\| (full|lychee|specattn)' $OUT/$1.md | cut -d'|' -f7 | tr '\n' ' ') round $(grep -E '^\| 1 \| 1308' $OUT/$1.md | cut -d'|' -f5)"
}
for round in 1 2; do
  run r$round-base .carry/s16d/sdec /tmp/ta 0 0
  run r$round-e0 .carry/s16e/sdec /tmp/tb 0 0
  run r$round-e128 .carry/s16e/sdec /tmp/tb 128 128
  run r$round-e512 .carry/s16e/sdec /tmp/tb 512 256
done
