#!/usr/bin/env bash
# Session 14 call 3: main's topk.cu (leaders) against the one before (old) and `late` (the leader
# found by a block max only when digit 0 leaves a class taking one key: no per-key atomicMax, no
# 8 KB of leaders); q = stamps inside the select too (3 counted, 4 barrier, 5 pick, 6 select done,
# 7 output counts, 8 end).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/s14
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro3.json old=$m/main.cu leaders=- late=$m/late.cu \
  oldq=$m/mainq.cu leadersq=$m/leadersq.cu lateq=$m/lateq.cu 2>&1 | tee $OUT/micro3.txt
