#!/bin/bash
# Session 19 call 9: linear with its first step's weights in flight before the RMSNorm prologue
# (both paths; the CUDA-core path's L2 prefetch dropped for it), against the file before (old.cu).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call9
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-gate-up,b7-o,b7-down,b14-qkv,b2-o,b1-qkv,b1-gate-up,b1-o,b1-down \
  --json $OUT/call9/first.json new=- old=$M/variants/old.cu > $OUT/call9/first.txt 2>&1
python3 $M/run.py --runs 20 --shapes b1-lm-head,b7-lm-head --json $OUT/call9/lm-head.json new=- old=$M/variants/old.cu > $OUT/call9/lm-head.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call9/*.txt | head -20; sed -n '/best per/,$p' $OUT/call9/first.txt $OUT/call9/lm-head.txt | grep -v torch
