#!/usr/bin/env bash
# Session 18 call 15, the final build (a refactor of how the spec kernels are looked up after
# call 14): the spec fuzzer, the decode tests, and the SpecAttn round on session 16's refined cache.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18m
o=/tmp/c15; mkdir -p $o/tune
timeout 100 $C/sdec fuzz --family spec --cases 200 --seed 1815 > $o/fuzz.txt 2>&1; echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"
timeout 120 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
cp $C/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
timeout 100 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
    --steps 16 --warmup 3 --launch graph > $o/spec.txt 2>&1; echo "spec exit $?: $(grep -A2 '^| batch' $o/spec.txt | tail -1)"
tar czf $OUT/call15.tgz --exclude=tune -C /tmp c15
