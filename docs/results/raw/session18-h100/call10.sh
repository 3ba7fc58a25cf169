#!/usr/bin/env bash
# Session 18 call 10: the tuner with background compiles that hand each result over as it is ready
# (call 9 waited for batches of the pool's width, and a fresh machine took 119.9 s):
# benches/tune.sh (exhaustive, descent, exhaustive again, the rerun, the referee).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18h
o=/tmp/c10; mkdir -p $o
SDEC=$C/sdec TUNE_BUDGET_S=200 timeout 400 benches/tune.sh $o/tune > $o/tune.txt 2>&1
grep -E "^(exhaustive|descent).*s = |descent within|two independent|exhaustive: [0-9]|  (exhaustive|descent|exhaustive2): comp" $o/tune/summary.md
for f in exhaustive descent exhaustive2 again; do tail -n 1 $o/tune/$f.md; done
tar czf $OUT/call10.tgz --exclude='cache-*' --exclude='old-descent' --exclude='old-exhaustive' -C /tmp c10
