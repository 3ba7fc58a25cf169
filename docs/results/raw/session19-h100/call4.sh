#!/bin/bash
# Session 19 calls 4 and 5 (the same command; call 5 after the `lines` pattern was added):
# how fast each of linear's weight access patterns streams gate|up with nothing else to do.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
mkdir -p $OUT/call4
python3 benches/linear_micro/patterns.py --runs 40 2>&1 | tee $OUT/call4/patterns.txt
