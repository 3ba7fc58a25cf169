#!/usr/bin/env bash
# Session 17 call 9: the decode step's kernel timeline through CUPTI (benches/cupti_trace; the
# machine has no nsys): LycheeDecode at 128K, batch 2 (its selection costs 0.31 ms there) and
# batch 1, on session 16's refined cache (top-k entries retuned: their sources changed).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=$PWD/.carry/s17h/sdec
o=/tmp/c9; mkdir -p $o/tune
cp .carry/s17h/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$S tune --family all --budget-s 120 2>&1 | tail -n 3
for b in 2 1; do SDEC=$S timeout 150 benches/cupti_trace/run.sh $o/trace lychee:heads=docs/results/llama8b-heads-9pct.json $b > $o/summary-b$b.txt 2>&1; echo "b$b: exit $?"; head -c 6000 $o/summary-b$b.txt; done
rm -f $o/trace/libsdec_trace.so
tar czf $OUT/call9.tgz -C /tmp c9
