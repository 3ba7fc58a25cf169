#!/usr/bin/env bash
# Session 20 call 17 (carry .carry/s20: the final build): call 16's cache (refined for full and
# lychee) refined for SpecAttn too (`--refine specattn`, 2 candidates, 8 rounds a timing), then #5's
# 128K figures at batch 1 and 2 on it.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c17; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call16/tune/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
s=$(date +%s)
timeout 240 $C/sdec tune --refine specattn --refine-candidates 2 --refine-steps 8 > $o/refine-specattn.txt 2>&1
echo "refine specattn exit $? in $(( $(date +%s) - s )) s: $(grep 'refined' $o/refine-specattn.txt | tail -1)"
grep -E "^\| [a-z_]+ \|" $o/refine-specattn.txt | grep -v "as cached" | cut -c1-250
timeout 200 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
rm -rf $o/tune/cubin
tar czf $OUT/call17.tgz -C /tmp c17
