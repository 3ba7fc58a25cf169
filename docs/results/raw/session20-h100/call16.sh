#!/usr/bin/env bash
# Session 20 call 16 (carry .carry/s20: the final build, with call 15's merge_partials): call 15's
# new cache (every family tuned again with this build) refined by the decode step (`sdec tune
# --refine full`, then `lychee`, 3 candidates an entry), then #5's figures: 128K at batch 1 and 2 for
# full, lychee (9% map) and SpecAttn, and full at 4K; the GPU test binaries.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c16; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call15/new/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json; do
    n=${p%%:*}; s=$(date +%s)
    timeout 150 $C/sdec tune --refine $p > $o/refine-$n.txt 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-$n.txt)"
done
timeout 200 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
timeout 60 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 4k --batch 1 --policy full \
    --steps 32 --warmup 5 --launch graph --json $o/decode-4k.json > $o/decode-4k.txt 2>&1
echo "4k exit $?"; grep -E "^\| full" $o/decode-4k.txt
rm -rf $o/tune/cubin
tar czf $OUT/call16.tgz -C /tmp c16
