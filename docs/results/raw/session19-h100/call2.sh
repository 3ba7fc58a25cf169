#!/bin/bash
# Session 19 call 2: linear's ring path (MMA = 2) against the register path, every configuration.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call2
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b14-qkv,b2-o \
  --json $OUT/call2/ring.json main=- > $OUT/call2/ring.txt 2>&1
python3 $M/run.py --runs 20 --shapes b7-lm-head --json $OUT/call2/lm-head.json main=-:UNROLL=4 > $OUT/call2/lm-head.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call2/*.txt | head; sed -n '/best per/,$p' $OUT/call2/ring.txt $OUT/call2/lm-head.txt
for s in b7-qkv b7-o b7-gate-up b7-down b14-qkv b2-o; do grep "main/$s/" $OUT/call2/ring.txt | head -4; done
