#!/usr/bin/env bash
# Session 19 call 15 (carry .carry/s19b: as call 14, the merge now staging the weights in shared memory and loading its pieces independently; the build with the gather family's `merge` (each head's
# last CTA merges its pieces, no `combine` launch), the build before it as sdec-old, the GPU test
# binaries): the attention fuzz, the GPU tests, then both builds' attention entries tuned again on
# call 12's cache and the steps alternated twice: SpecAttn's round, `lychee` and `full` at b1.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s19b
o=/tmp/c15; mkdir -p $o/new $o/old
cp docs/results/raw/session19-h100/call12/tune-new.json $o/new/tune.json; cp $o/new/tune.json $o/old/tune.json
timeout 150 $C/sdec fuzz --family gather_attention --family decode_attention --cases 600 --seed 1915 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A3 '^FAIL' $o/fuzz.txt | head -8
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 150 $b tune --family gather_attention,decode_attention --force --budget-s 140 > $o/tune-attn-$v.txt 2>&1
    echo "tune attention $v exit $?: $(tail -1 $o/tune-attn-$v.txt)"
    SDEC_TUNE_DIR=$o/$v timeout 100 $b tune --family all --budget-s 90 > $o/tune-$v.txt 2>&1
    echo "tune all $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
grep "^| gather_attention" $o/tune-attn-*.txt | cut -c1-160
for r in 1 2; do for v in old new; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json \
        --steps 16 --warmup 3 --launch graph --json $o/step-$v-$r.json > $o/step-$v-$r.txt 2>&1
    echo "$v $r exit $?:"; grep -E "^\| (full|lychee|specattn)|^\| 1 \|" $o/step-$v-$r.txt | cut -c1-140
done; done
rm -rf $o/new/cubin $o/old/cubin
tar czf $OUT/call15.tgz -C /tmp c15
