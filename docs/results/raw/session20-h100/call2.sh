#!/usr/bin/env bash
# Session 20 call 2 (carry .carry/s20): the rope_append epilogue with the reduced fp32 sine and
# cosine, tensor-core tiles of either ROWS for pairs: linear's fuzz, the GPU tests, linear tuned
# again on call 1's new cache, then the 128K b1 step of full, lychee and SpecAttn with each build
# (old: call 1's old cache), once each, timed.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c2; mkdir -p $o/new $o/old
cp docs/results/raw/session20-h100/call1/new/tune.json $o/new/; cp docs/results/raw/session20-h100/call1/old/tune.json $o/old/
timeout 150 $C/sdec fuzz --family linear --cases 500 --seed 2003 > $o/fuzz-linear.txt 2>&1
echo "fuzz linear exit $?: $(tail -1 $o/fuzz-linear.txt)"; grep -A3 '^FAIL' $o/fuzz-linear.txt | head -12
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
SDEC_TUNE_DIR=$o/new timeout 100 $C/sdec tune --family linear --force --budget-s 90 > $o/tune-linear-new.txt 2>&1
echo "tune linear new exit $?: $(tail -1 $o/tune-linear-new.txt)"
grep "qkv\|gate-up" $o/tune-linear-new.txt
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    s=$(date +%s)
    SDEC_TUNE_DIR=$o/$v timeout 200 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-1.json > $o/decode-$v-1.txt 2>&1
    echo "$v exit $? in $(( $(date +%s) - s )) s"; grep -E "^\| (1|full|lychee|specattn)" $o/decode-$v-1.txt | head -8
done
for v in new old; do rm -rf $o/$v/cubin; done
tar czf $OUT/call2.tgz -C /tmp c2
