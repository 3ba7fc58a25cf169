#!/bin/bash
# Session 19 call 10: every projection of the decode step (one and seven rows, the LM head) beside
# cuBLAS through torch (bf16 inputs) in one process, and what the RMSNorm prologue costs each
# normed one (variants/no_prologue.cu, CHECK=0).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call10
python3 $M/run.py --runs 40 --shapes b1-qkv,b1-o,b1-gate-up,b1-down,b1-lm-head,b7-qkv,b7-o,b7-gate-up,b7-down,b7-lm-head \
  --json $OUT/call10/all.json main=- noprologue=$M/variants/no_prologue.cu:CHECK=0 > $OUT/call10/all.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call10/*.txt | head; sed -n '/best per/,$p' $OUT/call10/all.txt
