#!/usr/bin/env bash
# Session 17 call 3: top-k with only the strategy's kernels compiled (if constexpr stubs) and the
# fuzzer's inputs drawn in parallel chunks: fuzz (top-k, every configuration; then every family),
# then benches/tune.sh again (the tuner's figures with top-k's compiling cut to a third).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17c/sdec
o=/tmp/c3; mkdir -p $o
timeout 150 $S fuzz --family topk --cases 1000 --seed 1701 > $o/fuzz-topk.txt 2>&1; echo "fuzz topk: exit $?"; tail -n 2 $o/fuzz-topk.txt
timeout 150 $S fuzz --cases 500 --seed 1702 > $o/fuzz-all.txt 2>&1; echo "fuzz all: exit $?"; tail -n 2 $o/fuzz-all.txt
SDEC=$S TUNE_BUDGET_S=200 timeout 400 benches/tune.sh $o/tune > $o/tune.txt 2>&1
grep -E "^(exhaustive|descent|d02).*s = |descent within|two independent|exhaustive: [0-9]|  (exhaustive|descent|exhaustive2): comp" $o/tune/summary.md
for f in exhaustive descent exhaustive2; do tail -n 2 $o/tune/$f.md; done
tar czf $OUT/call3.tgz --exclude='cache-*' -C /tmp c3
