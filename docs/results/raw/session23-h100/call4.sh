#!/usr/bin/env bash
# Session 23 call 4 (carry .carry/s23b): the kernel timeline of `lychee` b1 at 128K with
# `mma` = 3 in its mixed layers (CUPTI, benches/cupti_trace), on call 3's refined cache when the
# machine still holds it (else tuned afresh and refined).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s23b; mkdir -p $C; cp .carry/s23b/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c4; mkdir -p $o
if [ -f /tmp/c3/tune/tune.json ]; then export SDEC_TUNE_DIR=/tmp/c3/tune; echo "call 3's cache";
else export SDEC_TUNE_DIR=$o/tune; timeout 200 $C/sdec tune --family all > $o/tune-all.txt 2>&1
  timeout 100 $C/sdec tune --refine lychee:heads=docs/results/llama8b-heads-9pct.json > $o/refine-lychee.txt 2>&1; fi
SDEC=$C/sdec timeout 200 bash benches/cupti_trace/run.sh $o lychee:heads=docs/results/llama8b-heads-9pct.json 1 128k > $o/summary.txt 2>&1
echo "trace exit $?"; head -60 $o/summary.txt
rm -f $o/*.so
tar czf $OUT/call4.tgz -C /tmp c4
