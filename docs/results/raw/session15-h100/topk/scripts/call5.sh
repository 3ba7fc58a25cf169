#!/usr/bin/env bash
# Session 15 call 5: rank5 (one pass: four, two or one threads a candidate by the count), rank5c
# (the rank path only up to 192 candidates, else the digits), main, probes.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro5.json main=$m/main.cu rank5=$m/rank5.cu \
  mainq=$m/mainq.cu rank5q=$m/rank5q.cu mainb=$m/main.cu rank5b=$m/rank5.cu rank5c=$m/rank5c.cu 2>&1 | tee $OUT/micro5.txt
