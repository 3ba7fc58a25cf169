#!/usr/bin/env bash
# Session 14 call 1: branch topk-leaders (digit 0's per-bucket leaders) against main's topk.cu.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
m=.carry/s14
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro1.json main=- leaders=$m/leaders.cu mainp=$m/mainp.cu leadersp=$m/leadersp.cu 2>&1 | tee $OUT/micro1.txt
