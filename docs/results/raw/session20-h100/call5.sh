#!/usr/bin/env bash
# Session 20 call 5 (carry .carry/s20: call 3's build): a SpecAttn round (γ = 6) and a LycheeDecode
# step at 128K b1 traced with CUPTI (benches/cupti_trace) on call 4's base cache: what each part
# of a round runs now that RoPE and the append are inside the q|k|v product.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c5; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call4/base/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
SDEC=$C/sdec TAG=spec PASSES=7 timeout 200 benches/cupti_trace/run.sh $o/trace specattn 1 > $o/summary-spec-b1.txt 2>&1; echo "spec: exit $?"
head -70 $o/summary-spec-b1.txt
SDEC=$C/sdec timeout 150 benches/cupti_trace/run.sh $o/trace lychee:heads=docs/results/llama8b-heads-9pct.json 1 > $o/summary-lychee-b1.txt 2>&1; echo "lychee: exit $?"
head -40 $o/summary-lychee-b1.txt
rm -f $o/trace/libsdec_trace.so; rm -rf $o/tune/cubin; gzip -f $o/trace/*.csv
tar czf $OUT/call5.tgz -C /tmp c5
