#!/usr/bin/env bash
# Call 5 (session 13): v2 = v1 + unrolled clears + the output's one-ballot path when the class is taken whole.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro5.json base=- v1=$m/v1.cu v2=$m/v2.cu v2b10=$m/v2.cu:DIGIT_BITS=10 \
  v2b8=$m/v2.cu:DIGIT_BITS=8 v1t1024=$m/v1.cu:THREADS=1024,ITEMS=2 v2t1024=$m/v2.cu:THREADS=1024,ITEMS=2 \
  v2t1024b8=$m/v2.cu:THREADS=1024,ITEMS=2,DIGIT_BITS=8 2>&1 | tee $OUT/micro5.txt
