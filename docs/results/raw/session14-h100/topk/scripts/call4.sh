#!/usr/bin/env bash
# Session 14 call 4: main's topk_resident (leaders) at other block shapes and digit widths
# (fewer warps repeat the uniform work - bound, pick - fewer times on each scheduler).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro4.json main=- t256=-:THREADS=256,ITEMS=8 \
  t128=-:THREADS=128,ITEMS=16 b8=-:DIGIT_BITS=8 t256b8=-:THREADS=256,ITEMS=8,DIGIT_BITS=8 \
  t128b8=-:THREADS=128,ITEMS=16,DIGIT_BITS=8 t1024=-:THREADS=1024,ITEMS=2 2>&1 | tee $OUT/micro4.txt
