#!/usr/bin/env bash
# Session 23 call 2 (carry .carry/s23): #5's 128K figures with the gather family's `mma` = 3 in
# the space: every family tuned afresh (attention.cu changed, so no cached entry holds), refined
# in the decode step for `full` and `lychee`, then `full` and `lychee` at batch 1 and 2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s23; mkdir -p $C; cp .carry/s23/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c2; mkdir -p $o/tune
export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 230 $C/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
grep -E "lychee|tune|entries" $o/tune-all.txt | tail -8
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json; do
    n=${p%%:*}; s=$(date +%s)
    timeout 100 $C/sdec tune --refine $p > $o/refine-$n.txt 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-$n.txt)"
done
timeout 120 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
rm -rf $o/tune/cubin
tar czf $OUT/call2.tgz -C /tmp c2
