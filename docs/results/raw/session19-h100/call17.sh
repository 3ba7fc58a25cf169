#!/bin/bash
# Session 19 call 17: a multistage prototype of the several-row products (variants/multistage.cu,
# MMA = 3: the CTA's rows stream through UNROLL stages of 64 columns in shared memory by cp.async
# in whole lines, read by ldmatrix, each warp owning its rows over the whole input) against main.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call17
python3 $M/run.py --runs 40 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b14-qkv \
  --json $OUT/call17/ms.json main=- ms=$M/variants/multistage.cu:MMA=3 > $OUT/call17/ms.txt 2>&1
grep -E "WRONG|candidates|copy|Error|error" $OUT/call17/ms.txt | head; sed -n '/best per/,$p' $OUT/call17/ms.txt | grep -v torch
for s in b7-gate-up b7-qkv; do grep "ms/$s/" $OUT/call17/ms.txt | head -4; done
