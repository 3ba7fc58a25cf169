#!/usr/bin/env bash
# Call 7 (session 13): v4 = v2 + small classes resolved by ranks (no second digit).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro7.json base=- v2=$m/v2.cu v2b10=$m/v2.cu:DIGIT_BITS=10 v4=$m/v4.cu v4b10=$m/v4.cu:DIGIT_BITS=10 \
  v4b8=$m/v4.cu:DIGIT_BITS=8 v4t1024=$m/v4.cu:THREADS=1024,ITEMS=2 v4p=$m/v4p.cu v4pb10=$m/v4p.cu:DIGIT_BITS=10 2>&1 | tee $OUT/micro7.txt
