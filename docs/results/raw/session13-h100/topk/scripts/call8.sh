#!/usr/bin/env bash
# Call 8 (session 13): per-CTA stamps of v2 (which CTAs are slow, and in which phase).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 100 --json $OUT/micro8.json v2p=$m/v2p.cu v2pb10=$m/v2p.cu:DIGIT_BITS=10 p0=$m/p0.cu 2>&1 | tee $OUT/micro8.txt
