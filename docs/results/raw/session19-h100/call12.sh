#!/usr/bin/env bash
# Session 19 call 12 (carry .carry/s19: the build with linear's batched RMSNorm prologue, the build
# before it as sdec-old, the GPU test binaries, session 16's refined cache): linear's fuzz, the GPU
# tests, then the SpecAttn round at 128K b1 with each build alternated twice, each on the refined
# cache with its linear entries tuned again (the same procedure for both) and stale top-k retuned.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s19
o=/tmp/c12; mkdir -p $o/new $o/old
cp $C/tune.json $o/new/tune.json; cp $C/tune.json $o/old/tune.json
timeout 120 $C/sdec fuzz --family linear --cases 400 --seed 1901 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A2 '^FAIL' $o/fuzz.txt | head -6
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b tune --family linear --force --budget-s 90 > $o/tune-linear-$v.txt 2>&1
    echo "tune linear $v exit $?: $(tail -1 $o/tune-linear-$v.txt)"
    SDEC_TUNE_DIR=$o/$v timeout 100 $b tune --family all --budget-s 90 > $o/tune-$v.txt 2>&1
    echo "tune all $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
grep "b7\|b14" $o/tune-linear-*.txt | grep -v "^$" | head -12
for r in 1 2; do for v in old new; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/spec-$v-$r.json > $o/spec-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -A2 '^| batch' $o/spec-$v-$r.txt | tail -1)"
done; done
tar czf $OUT/call12.tgz -C /tmp c12
