#!/usr/bin/env bash
# Session 17 call 10: LycheeDecode b2 at 128K traced with and without `--omit select`: is the
# selection's 0.31 ms the projections slowed beside it, or the attention gathering other lists?
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=$PWD/.carry/s17h/sdec
o=/tmp/c10; mkdir -p $o/tune
cp .carry/s17h/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$S tune --family all --budget-s 120 2>&1 | tail -n 1
P=lychee:heads=docs/results/llama8b-heads-9pct.json
SDEC=$S timeout 150 benches/cupti_trace/run.sh $o/trace $P 2 > $o/summary-b2.txt 2>&1; echo "b2: exit $?"
SDEC=$S TAG=omit BENCH_ARGS="--omit select" timeout 150 benches/cupti_trace/run.sh $o/trace $P 2 > $o/summary-b2-omit.txt 2>&1; echo "b2 omit: exit $?"
for f in summary-b2 summary-b2-omit; do grep -A16 "what ran together" $o/$f.txt; grep -B1 -A12 "^kernels" $o/$f.txt | head -12; grep "| lychee" $o/$f.txt; done
rm -f $o/trace/libsdec_trace.so
tar czf $OUT/call10.tgz -C /tmp c10
