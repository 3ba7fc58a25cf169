#!/usr/bin/env bash
# Session 20 call 6: call 5's SpecAttn trace again, its files named apart (in call 5 the LycheeDecode
# trace overwrote them; call5.sh now names them too).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c6; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call4/base/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
SDEC=$C/sdec TAG=spec PASSES=7 timeout 200 benches/cupti_trace/run.sh $o/trace specattn 1 > $o/summary-spec-b1.txt 2>&1; echo "spec: exit $?"
head -12 $o/summary-spec-b1.txt
rm -f $o/trace/libsdec_trace.so; rm -rf $o/tune; gzip -f $o/trace/*.csv
tar czf $OUT/call6.tgz -C /tmp c6
