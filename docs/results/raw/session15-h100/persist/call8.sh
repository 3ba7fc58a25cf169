#!/usr/bin/env bash
# Session 15 call 8 (first form: activations read past L1 with __ldcg, whole rows warmed) and call 9: a step's projections (32 layers of Llama-3.1-8B, b1) as 128 launches in a
# CUDA graph against one persistent kernel with grid barriers, with and without warming L2 with
# the next product's rows before each barrier (benches/persist_micro/run.py).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 240 python3 benches/persist_micro/run.py --layers 32 --runs 30 --ctas-per-sm 2 --json $OUT/persist-2.json 2>&1 | tee $OUT/persist-2.txt
timeout 200 python3 benches/persist_micro/run.py --layers 32 --runs 30 --ctas-per-sm 4 --json $OUT/persist-4.json 2>&1 | tee $OUT/persist-4.txt
