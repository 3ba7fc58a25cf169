#!/bin/bash
# Session 19 call 8: what the seven-row products' RMSNorm prologue costs (a probe without it,
# CHECK=0), and the tensor-core path asking L2 for its first weight lines before the prologue.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call8
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-gate-up,b14-qkv --json $OUT/call8/prologue.json \
  main=- noprologue=$M/variants/no_prologue.cu:CHECK=0 pf=$M/variants/prefetch.cu:PREFETCH=1 > $OUT/call8/prologue.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call8/*.txt | head -20; sed -n '/best per/,$p' $OUT/call8/prologue.txt
