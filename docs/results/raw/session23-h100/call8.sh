#!/usr/bin/env bash
# Session 23 call 8 (carry .carry/s23f: the final build): #5's 128K figures as session 21's
# call 21 — every family tuned afresh, refined in the step for full, lychee and SpecAttn, then
# full, lychee and SpecAttn at batch 1 and 2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s23f; mkdir -p $C; cp .carry/s23f/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c8; mkdir -p $o/tune
export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 200 $C/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
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
tar czf $OUT/call8.tgz -C /tmp c8
