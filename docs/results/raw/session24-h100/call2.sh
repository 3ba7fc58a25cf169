#!/usr/bin/env bash
# Session 24 call 2: each projection alone (32 launches of it in a graph), to split a launch's
# cost into a fixed part and a streaming rate (benches/persist_micro/run.py --per-product).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 300 python3 benches/persist_micro/run.py --layers 32 --runs 30 --ctas-per-sm 2 --per-product --json $OUT/persist-pp.json 2>&1 | tee $OUT/persist-pp.txt
