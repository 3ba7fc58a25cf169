#!/usr/bin/env bash
# Session 14 call 5: the pick's two warp scans by bit planes (one ballot a bit) when every count is
# below 32 (`planes`), against main; q = stamps inside the select.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s14
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro5.json main=- planes=$m/planes.cu \
  main1024=-:THREADS=1024,ITEMS=2 planes1024=$m/planes.cu:THREADS=1024,ITEMS=2 \
  mainq=$m/mainq.cu planesq=$m/planesq.cu 2>&1 | tee $OUT/micro5.txt
