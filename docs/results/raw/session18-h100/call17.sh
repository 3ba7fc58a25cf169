#!/usr/bin/env bash
# Session 18 call 17, the final build (background compiles that fail at once if their thread
# dies): the tuner's GPU test and a descent and an exhaustive run of `linear` into fresh caches.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18n
o=/tmp/c17; mkdir -p $o
timeout 100 $C/gpu_tune > $o/gpu_tune.txt 2>&1; echo "gpu_tune exit $?: $(grep 'test result' $o/gpu_tune.txt)"
for s in descent exhaustive; do
    timeout 150 $C/sdec tune --family linear --strategy $s --cache $o/cache-$s --budget-s 140 > $o/tune-$s.md 2> $o/tune-$s.log
    echo "$s exit $?: $(tail -1 $o/tune-$s.md)"; grep -c "| tuned |" $o/tune-$s.md
done
tar czf $OUT/call17.tgz --exclude='cache-*' -C /tmp c17
