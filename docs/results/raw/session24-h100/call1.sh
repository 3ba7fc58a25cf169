#!/usr/bin/env bash
# Session 24 call 1: the projections of 32 Llama-3.1-8B layers (b1) as a graph of 128 launches
# against persistent kernels — static rows (as session 15), and rows handed out at run time with
# the next product's first loads in flight across the grid barrier (benches/persist_micro/run.py).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
python3 -c "import cupy; print('cupy', cupy.__version__)"
for c in 2 4 1; do
  timeout 200 python3 benches/persist_micro/run.py --layers 32 --runs 30 --ctas-per-sm $c --json $OUT/persist-$c.json 2>&1 | tee $OUT/persist-$c.txt
done
