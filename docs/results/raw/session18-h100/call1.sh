#!/usr/bin/env bash
# Session 18 call 1: the Split inputs of `linear` (passes of 3+ rows: rmsnorm_split once per
# product instead of a norm and a hi/lo split in every CTA). Fuzz of the new modes, the CPU
# reference check of the decode loop (prefill chunks of 8 rows take the new path), and the
# SpecAttn round at 128K b1 beside the build before (1a280cd), each on session 16's refined cache
# with its stale entries retuned (the new build: every `linear` entry, its source changed).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18a
o=/tmp/c1; mkdir -p $o/new $o/old
cp $C/tune.json $o/new/tune.json; cp $C/tune.json $o/old/tune.json
timeout 100 $C/sdec fuzz --family linear --family rmsnorm_split --cases 800 --seed 1801 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A2 '^FAIL' $o/fuzz.txt | head -6
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 150 $b tune --family all --budget-s 140 > $o/tune-$v.txt 2>&1
    echo "tune $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
grep -E "b7|b2-gate" $o/tune-new.txt | head -8
SDEC_TUNE_DIR=$o/new timeout 90 $C/sdec check --model synthetic:tiny --policy full --policy specattn --prompt-tokens 200 --steps 24 --seed 1 --graph > $o/check.txt 2>&1
echo "check exit $?"; tail -8 $o/check.txt
for r in 1 2; do for v in old new; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/spec-$v-$r.json > $o/spec-$v-$r.txt 2>&1
    echo "$v $r exit $?"; grep -iE 'specattn|round' $o/spec-$v-$r.txt | head -4
done; done
tar czf $OUT/call1.tgz -C /tmp c1
