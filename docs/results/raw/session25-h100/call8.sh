#!/usr/bin/env bash
# Session 25 call 8: the CUPTI timeline of a SpecAttn round (γ = 6: PASSES=7) at 128K, b1, on the
# final build (.carry/s25f) and call 5's tuned and refined cache (its tune.json.gz).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s25f/sdec; mkdir -p /tmp/s25f && gunzip -c .carry/s25f/sdec.gz > $S && chmod +x $S
o=/tmp/c8; rm -rf $o; mkdir -p $o/tune
gunzip -c docs/results/raw/session25-h100/call5/tune/tune.json.gz > $o/tune/tune.json
SDEC_TUNE_DIR=$o/tune PASSES=7 SDEC=$S bash benches/cupti_trace/run.sh $o specattn 1 128k 2>&1 | tail -60
rm -rf $o/tune $o/*.so; gzip -9 $o/trace-*.csv; tar czf $OUT/c8.tgz -C /tmp c8
