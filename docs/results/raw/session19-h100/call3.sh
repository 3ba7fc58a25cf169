#!/bin/bash
# Session 19 call 3: the seven-row products again with every launch on fresh weights (the harness
# of calls 1-2 let a candidate find the previous one's weights in L2), and the register path
# squeezed by a minimum of resident CTAs (__launch_bounds__'s second argument).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
V=$M/variants
mkdir -p $OUT/call3
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b1-qkv,b1-gate-up \
  --json $OUT/call3/main.json main=- > $OUT/call3/main.txt 2>&1
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-gate-up,b7-down --json $OUT/call3/minb.json \
  main=-:UNROLL=4 mb3=$V/minblocks.cu:MINB=3,THREADS=256 mb4=$V/minblocks.cu:MINB=4,THREADS=256 \
  mb6=$V/minblocks.cu:MINB=6,THREADS=128 mb8=$V/minblocks.cu:MINB=8,THREADS=128 \
  stream=$V/stream_only.cu:CHECK=0,UNROLL=2 > $OUT/call3/minb.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call3/*.txt | head; sed -n '/best per/,$p' $OUT/call3/main.txt $OUT/call3/minb.txt
for s in b7-qkv b7-o b7-gate-up b7-down; do grep "/$s/" $OUT/call3/main.txt | head -3; grep "/$s/" $OUT/call3/minb.txt | head -6; done
