#!/bin/bash
# Session 19 call 11: the RMSNorm prologue with every row's load of a step issued together
# (linear.cu as changed) against the file before (variants/old.cu), every configuration checked.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call11
python3 $M/run.py --runs 40 --shapes b7-qkv,b7-gate-up,b14-qkv,b1-qkv,b1-gate-up,b7-lm-head,b1-lm-head \
  --json $OUT/call11/prologue.json new=- old=$M/variants/old.cu > $OUT/call11/prologue.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call11/*.txt | head; sed -n '/best per/,$p' $OUT/call11/prologue.txt | grep -v torch
