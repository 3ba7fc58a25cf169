#!/usr/bin/env bash
# Call 2 (session 13): finer probe of the select; the body run twice over the same code (i-cache?).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 200 --json $OUT/micro2.json base=- b10=-:DIGIT_BITS=10 probe=$m/probe.cu probe2=$m/probe2.cu twice=$m/twice.cu twice10=$m/twice.cu:DIGIT_BITS=10 2>&1 | tee $OUT/micro2.txt
