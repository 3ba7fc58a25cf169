#!/usr/bin/env bash
# Session 20 call 20 (carry .carry/s20: the final build with `--omit qkv` fixed): the GPU test
# binaries, and `full` at 4K b1 whole, without `rope` and without `qkv` (with RoPE inside the q|k|v
# product both leave out the same launch, so the two times must match).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c20; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call17/tune/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for omit in none rope qkv; do
    args=""; [ $omit = none ] || args="--omit $omit"
    timeout 60 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 4k --batch 1 --policy full \
        --steps 16 --warmup 3 --launch graph $args > $o/decode-$omit.txt 2>&1
    echo "omit $omit exit $?: $(grep -E '^\| full' $o/decode-$omit.txt | awk -F'|' '{print $7}')"
done
rm -rf $o/tune
tar czf $OUT/call20.tgz -C /tmp c20
