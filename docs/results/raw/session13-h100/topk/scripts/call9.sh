#!/usr/bin/env bash
# Call 9 (session 13): v5 = v2 + classes of <= 32 keys resolved by ranks in their own branch.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro9.json base=- v2=$m/v2.cu v5=$m/v5.cu v5b10=$m/v5.cu:DIGIT_BITS=10 \
  v5b9=$m/v5.cu:DIGIT_BITS=9 v5b8=$m/v5.cu:DIGIT_BITS=8 v5t1024=$m/v5.cu:THREADS=1024,ITEMS=2 v5p=$m/v5p.cu v5pb10=$m/v5p.cu:DIGIT_BITS=10 2>&1 | tee $OUT/micro9.txt
