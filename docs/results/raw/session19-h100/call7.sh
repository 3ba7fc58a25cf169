#!/bin/bash
# Session 19 call 7: linear's tensor-core path with its weight chunks in a register ring (each
# chunk's registers refilled with the chunk one step on as soon as they are consumed), with
# (PX=1) or without the input pieces riding along, against the file as it is.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
mkdir -p $OUT/call7
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b14-qkv,b2-o --json $OUT/call7/pipe.json \
  main=- px0=$M/variants/pipelined.cu:PX=0 px1=$M/variants/pipelined.cu:PX=1 > $OUT/call7/pipe.txt 2>&1
grep -E "WRONG|candidates|copy" $OUT/call7/*.txt | head -20; sed -n '/best per/,$p' $OUT/call7/pipe.txt
