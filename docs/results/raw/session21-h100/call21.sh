#!/usr/bin/env bash
# Session 21 call 21 (carry .carry/s21f: the final build, copies for 4x L2): every family tuned
# with it (call 20's second exhaustive cache when the machine still holds it, else a fresh
# `sdec tune --family all`), refined by the decode step for full, lychee and SpecAttn, then #5's
# 128K figures at batch 1 and 2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s21f; mkdir -p $C; cp .carry/s21f/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c21; mkdir -p $o/tune
export SDEC_TUNE_DIR=$o/tune
if [ -f /tmp/t20/cache-exhaustive2/tune.json ]; then cp /tmp/t20/cache-exhaustive2/tune.json $o/tune/; echo "call 20's cache";
else s=$(date +%s); timeout 200 $C/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"; fi
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json; do
    n=${p%%:*}; s=$(date +%s)
    timeout 100 $C/sdec tune --refine $p > $o/refine-$n.txt 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-$n.txt)"
done
s=$(date +%s)
timeout 150 $C/sdec tune --refine specattn --refine-candidates 2 --refine-steps 8 > $o/refine-specattn.txt 2>&1
echo "refine specattn exit $? in $(( $(date +%s) - s )) s"
timeout 120 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
rm -rf $o/tune/cubin
tar czf $OUT/call21.tgz -C /tmp c21
