#!/usr/bin/env bash
# Session 20 call 11 (carry .carry/s20: this session's final build, e5cdf7d's code): the GPU test
# binaries, then #5's figures on call 9's new cache (every stale entry retuned first): 128K at
# batch 1 and 2 for full, lychee (9% map) and SpecAttn, and full at 4K.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c11; mkdir -p $o/tune
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
cp docs/results/raw/session20-h100/call9/new/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
timeout 300 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
timeout 100 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 4k --batch 1 --policy full \
    --steps 32 --warmup 5 --launch graph --json $o/decode-4k.json > $o/decode-4k.txt 2>&1
echo "4k exit $?"; grep -E "^\| full" $o/decode-4k.txt
rm -rf $o/tune/cubin
tar czf $OUT/call11.tgz -C /tmp c11
