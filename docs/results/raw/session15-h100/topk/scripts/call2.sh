#!/usr/bin/env bash
# Session 15 call 2: the rank path with eight running counts, the k-th and the count above it in one
# 64-bit atomicMin, positions from slices 0..warp only; main beside it.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro2.json main=$m/main.cu rank2=$m/rank2.cu \
  mainq=$m/mainq.cu rank2q=$m/rank2q.cu mainb=$m/main.cu rank2b=$m/rank2.cu 2>&1 | tee $OUT/micro2.txt
