#!/usr/bin/env bash
# Session 17 call 11: a SpecAttn round (γ = 6) at 128K, batch 1, traced (benches/cupti_trace,
# PASSES=7: six drafts and the verification): how long the GPU idles in a round (its `select`
# part holds a host round trip), and what each part runs.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=$PWD/.carry/s17h/sdec
o=/tmp/c11; mkdir -p $o/tune
cp .carry/s17h/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
$S tune --family all --budget-s 120 2>&1 | tail -n 1
SDEC=$S PASSES=7 timeout 200 benches/cupti_trace/run.sh $o/trace specattn 1 > $o/summary-spec-b1.txt 2>&1; echo "spec: exit $?"
cat $o/summary-spec-b1.txt | head -60
rm -f $o/trace/libsdec_trace.so
tar czf $OUT/call11.tgz -C /tmp c11
