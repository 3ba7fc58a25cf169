#!/usr/bin/env bash
# Session 15 call 3: the rank path with four threads a candidate (rank3), main beside it, probes
# of both, and rank3 at 1024 x 2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro3.json main=$m/main.cu rank3=$m/rank3.cu \
  mainq=$m/mainq.cu rank3q=$m/rank3q.cu rank3_1024=$m/rank3.cu:THREADS=1024,ITEMS=2 \
  mainb=$m/main.cu rank3b=$m/rank3.cu 2>&1 | tee $OUT/micro3.txt
