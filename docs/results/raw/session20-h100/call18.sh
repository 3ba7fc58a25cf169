#!/usr/bin/env bash
# Session 20 call 18 (carry .carry/s20: the final build, `linear` launched through RawArgs, the
# fuzz's RoPE helpers shared): linear's and rope_append's fuzz, the GPU test binaries, and the 128K
# b1 figures once on call 17's cache (the same kernels: nothing to retune).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c18; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call17/tune/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 120 $C/sdec fuzz --family linear --family rope_append --cases 400 --seed 2018 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A3 '^FAIL' $o/fuzz.txt | head -12
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
timeout 100 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?: $(grep -E '^\| (full|lychee)' $o/decode.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode.txt | tail -1)"
rm -rf $o/tune
tar czf $OUT/call18.tgz -C /tmp c18
