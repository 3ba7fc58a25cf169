#!/bin/bash
# Session 19 call 6: linear's tensor-core path loading whole lines (four rows x 128 bytes a load,
# halves swapped between lane pairs) against the fragments' own order (old_fragments.cu = the
# file before), every configuration checked and timed in one process.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call6
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b14-qkv,b2-o \
  --json $OUT/call6/lines.json lines=- old=$M/variants/old_fragments.cu > $OUT/call6/lines.txt 2>&1
python3 $M/run.py --runs 20 --shapes b7-lm-head --json $OUT/call6/lm-head.json lines=- old=$M/variants/old_fragments.cu > $OUT/call6/lm-head.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call6/*.txt | head -20; sed -n '/best per/,$p' $OUT/call6/lines.txt $OUT/call6/lm-head.txt
