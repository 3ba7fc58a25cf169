#!/usr/bin/env bash
# NOT RUN: the device was no longer lent when it was sent (session 13). The next session's first call.
# Call 13 (session 13): the final topk.cu (grouped picks, one-ballot output, digit 0's leaders,
# clears during the load) against HEAD in the micro-benchmark; then benches/topk_check.sh on sdec
# built from it (fuzz 3000, every top-k row beside torch, sanitizers, ncu).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro13.json old=$m/old.cu final=- v7m=$m/v7.cu:EXT_MIN=0 finalp=$m/finalp.cu 2>&1 | tee $OUT/micro13.txt
bash $m/topk_check.sh $OUT/check 2>&1 | tail -14
rm -f $OUT/check/fuzz.json
