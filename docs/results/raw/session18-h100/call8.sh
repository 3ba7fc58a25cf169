#!/usr/bin/env bash
# Session 18 call 8: chunk_attention with 2-4 tiles in shared memory (the tuner's choice) — fuzz,
# the decode tests, its tuned entries, and the SpecAttn round at 128K b1 against call 3's build
# (the same but for this), alternated twice, each on session 16's refined cache (stale entries
# retuned: top-k for both, chunk_attention for this build).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18f
o=/tmp/c8; mkdir -p $o/new $o/old
cp $C/tune.json $o/new/tune.json; cp $C/tune.json $o/old/tune.json
timeout 150 $C/sdec fuzz --family chunk_attention --cases 600 --seed 1808 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A2 '^FAIL' $o/fuzz.txt | head -6
timeout 120 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-c3
    SDEC_TUNE_DIR=$o/$v timeout 150 $b tune --family all --budget-s 140 > $o/tune-$v.txt 2>&1
    echo "tune $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
grep -E "chunk_attention" $o/tune-new.txt $o/tune-old.txt | cut -c1-200
for r in 1 2; do for v in old new; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-c3
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/spec-$v-$r.json > $o/spec-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -A2 '^| batch' $o/spec-$v-$r.txt | tail -1)"
done; done
tar czf $OUT/call8.tgz -C /tmp c8
