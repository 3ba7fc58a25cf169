#!/usr/bin/env bash
# Session 17 call 2: the tuner's figures after (a) fuzz/verification inputs drawn in parallel
# chunks and (b) descent compiling each sweep's lines together (Measurer::prepare).
# First a warm-up that shows how long NVRTC stays slow on a fresh machine (call 1: the first
# descent spent 133 s in NVRTC for 154 configurations, the third 26 s for 478), then
# benches/tune.sh, then descent at fraction 0.2 (min 12) with its own referee.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17b/sdec
o=/tmp/c2; mkdir -p $o
w0=$(date +%s)
for i in 1 2 3 4 5 6 7 8; do [ $(( $(date +%s) - w0 )) -lt 100 ] || break; t0=$(date +%s%N); $S kernels compile --family linear > /dev/null 2>&1
  echo "warm-up $i (sdec kernels compile --family linear, 239 configurations): $(( ($(date +%s%N)-t0)/1000000 )) ms" | tee -a $o/warmup.txt; done
SDEC=$S TUNE_BUDGET_S=200 timeout 420 benches/tune.sh $o/tune
t0=$(date +%s%N)
$S tune --family all --shapes standard --strategy descent --descent-fraction 0.2 --descent-min 12 --cache $o/tune/cache-d02 --budget-s 100 --json $o/tune/d02.json > $o/tune/d02.md 2> $o/tune/d02.log
echo "d02: exit $? $(( ($(date +%s%N)-t0)/1000000 )) ms"; tail -n 2 $o/tune/d02.md
$S tune --family all --shapes standard --cache $o/tune/cache-exhaustive --referee $o/tune/cache-d02 --json $o/tune/referee-d02.json > $o/tune/referee-d02.md 2> $o/tune/referee-d02.log
tail -n 1 $o/tune/referee-d02.md
tar czf $OUT/call2.tgz --exclude='cache-*' -C /tmp c2
