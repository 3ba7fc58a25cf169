#!/usr/bin/env bash
# Call 12 (session 13): v7 = v6 with the output's two cases in uniform branches; max-only (EXT_MIN=0); 10-bit digits.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro12.json new=- v6=$m/v6.cu v7=$m/v7.cu:EXT_MIN=1 v7m=$m/v7.cu:EXT_MIN=0 \
  v7b10=$m/v7.cu:EXT_MIN=1,DIGIT_BITS=10 v7mb10=$m/v7.cu:EXT_MIN=0,DIGIT_BITS=10 v7p=$m/v7p.cu:EXT_MIN=1 v7mp=$m/v7p.cu:EXT_MIN=0 \
  v7mpb10=$m/v7p.cu:EXT_MIN=0,DIGIT_BITS=10 2>&1 | tee $OUT/micro12.txt
