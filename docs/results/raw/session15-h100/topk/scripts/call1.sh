#!/usr/bin/env bash
# Session 15 call 1: RESIDENT's rank path (no radix digits when <= 512 keys reach the warp
# bounds) against main, with clock64 probes of both.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro1.json main=$m/main.cu rank=$m/rank.cu \
  mainq=$m/mainq.cu rankq=$m/rankq.cu main2=$m/main.cu rank2=$m/rank.cu 2>&1 | tee $OUT/micro1.txt
