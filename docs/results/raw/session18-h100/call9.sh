#!/usr/bin/env bash
# Session 18 call 9: the tuner with NVRTC compiles in the background (tune/compiling.rs):
# benches/tune.sh (exhaustive, descent, exhaustive again, the rerun, the referee), then the build
# before (call 3's) for an exhaustive and a descent run on the same machine.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18g
o=/tmp/c9; mkdir -p $o
SDEC=$C/sdec TUNE_BUDGET_S=200 timeout 400 benches/tune.sh $o/tune > $o/tune.txt 2>&1
grep -E "^(exhaustive|descent).*s = |descent within|two independent|exhaustive: [0-9]|  (exhaustive|descent|exhaustive2): comp" $o/tune/summary.md
for f in exhaustive descent exhaustive2 again; do tail -n 1 $o/tune/$f.md; done
for s in descent exhaustive; do
    t0=$(date +%s%N)
    timeout 100 $C/sdec-old tune --family all --shapes standard --strategy $s --cache $o/old-$s --budget-s 90 > $o/old-$s.md 2> $o/old-$s.log
    echo "old $s: exit $?, $(( ($(date +%s%N) - t0) / 1000000 )) ms wall: $(tail -n 1 $o/old-$s.md)"
done
tar czf $OUT/call9.tgz --exclude='cache-*' --exclude='old-descent' --exclude='old-exhaustive' -C /tmp c9
