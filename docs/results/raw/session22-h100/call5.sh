#!/usr/bin/env bash
# Session 22, call 5: call 4 again after run_attend.py folded its two tensor-core loops into one helper (the kernels unchanged)
# (benches/mixed_micro/attend_tc.cu), one process, checked against NumPy first.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
cd benches/mixed_micro && python3 run_attend.py --runs 30 --json "$OUT/attend.json" 2>&1 | tee "$OUT/attend.txt"
