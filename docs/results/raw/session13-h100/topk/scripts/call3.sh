#!/usr/bin/env bash
# Call 3 (session 13): grouped histograms, one barrier a digit (v1) against the current kernel.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 200 --json $OUT/micro3.json base=- b10=-:DIGIT_BITS=10 \
  v1=$m/v1.cu v1b10=$m/v1.cu:DIGIT_BITS=10 v1b8=$m/v1.cu:DIGIT_BITS=8 v1b9=$m/v1.cu:DIGIT_BITS=9 \
  v1t256=$m/v1.cu:THREADS=256,ITEMS=8 v1t256b10=$m/v1.cu:THREADS=256,ITEMS=8,DIGIT_BITS=10 \
  p0=$m/p0.cu v1p=$m/v1p.cu v1pb10=$m/v1p.cu:DIGIT_BITS=10 v1pb8=$m/v1p.cu:DIGIT_BITS=8 2>&1 | tee $OUT/micro3.txt
