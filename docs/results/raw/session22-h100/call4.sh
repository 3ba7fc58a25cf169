#!/usr/bin/env bash
# Session 22, call 4: as call 3, rows that are not a run copied by cp.async (a row a lane), and SpecAttn's draft gather (8 heads x 9175 random tokens)
# (benches/mixed_micro/attend_tc.cu), one process, checked against NumPy first.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
cd benches/mixed_micro && python3 run_attend.py --runs 30 --json "$OUT/attend.json" 2>&1 | tee "$OUT/attend.txt"
