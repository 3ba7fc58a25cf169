#!/usr/bin/env bash
# Session 17 call 4: benches/tune.sh with exhaustive compiling each entry's whole space at once.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17d/sdec
o=/tmp/c4; mkdir -p $o
SDEC=$S TUNE_BUDGET_S=200 timeout 560 benches/tune.sh $o/tune > $o/tune.txt 2>&1
grep -E "^(exhaustive|descent).*s = |descent within|two independent|exhaustive: [0-9]|  (exhaustive|descent|exhaustive2): comp" $o/tune/summary.md
for f in exhaustive descent exhaustive2; do tail -n 2 $o/tune/$f.md; done
tar czf $OUT/call4.tgz --exclude='cache-*' -C /tmp c4
