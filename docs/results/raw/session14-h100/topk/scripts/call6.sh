#!/usr/bin/env bash
# Session 14 call 6: the digit's pick by warp 0 alone, shared through one more barrier
# (`onewarp`: 16 warps no longer repeat it, 4 on each scheduler), against main.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s14
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro6.json main=- onewarp=$m/onewarp.cu \
  main1024=-:THREADS=1024,ITEMS=2 onewarp1024=$m/onewarp.cu:THREADS=1024,ITEMS=2 \
  mainq=$m/mainq.cu onewarpq=$m/onewarpq.cu 2>&1 | tee $OUT/micro6.txt
