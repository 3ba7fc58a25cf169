#!/usr/bin/env bash
# Call 6 (session 13): where v2's time goes; v3 (8-bit digits picked in one level); 256 threads.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro6.json v2=$m/v2.cu v2t256=$m/v2.cu:THREADS=256,ITEMS=8 \
  v3b8=$m/v3.cu:DIGIT_BITS=8 v3b7=$m/v3.cu:DIGIT_BITS=7 v3b8t256=$m/v3.cu:THREADS=256,ITEMS=8,DIGIT_BITS=8 \
  v2p=$m/v2p.cu v2pb10=$m/v2p.cu:DIGIT_BITS=10 v3pb8=$m/v3p.cu:DIGIT_BITS=8 2>&1 | tee $OUT/micro6.txt
