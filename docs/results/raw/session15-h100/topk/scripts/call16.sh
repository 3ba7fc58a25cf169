#!/usr/bin/env bash
# Session 15 call 16 (H100): the pick's second step without a scan when every bucket of the
# group holds at most one key (`variants/fast2.diff`), against main, with fine probes of both.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s15d
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro16.json main=$m/main.cu fast2=$m/fast2.cu \
  mainqq=$m/mainqq.cu fast2qq=$m/fast2qq.cu mainb=$m/main.cu fast2b=$m/fast2.cu 2>&1 | tee $OUT/micro16.txt
