#!/usr/bin/env bash
# Session 15 call 4: rank4 (the k-th found by a native atomicMax of the largest count under k,
# the counts kept per candidate; no 64-bit CAS), main beside it, probes of both.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro4.json main=$m/main.cu rank4=$m/rank4.cu \
  mainq=$m/mainq.cu rank4q=$m/rank4q.cu mainb=$m/main.cu rank4b=$m/rank4.cu 2>&1 | tee $OUT/micro4.txt
