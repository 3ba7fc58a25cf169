#!/usr/bin/env bash
# Session 16 call 11: the read floor of gathered K/V rows (benches/gather_floor): sequential,
# LycheeDecode-like blocks, SpecAttn-like random tokens and dense, at 2 and 4 CTAs an SM (call 11 first ran a slower form: ids divided per row in 64 bits, 8 rows in flight).
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for c in 2 4; do
  timeout 200 python3 benches/gather_floor/run.py --runs 30 --ctas-per-sm $c --json $OUT/floor-c$c.json 2>&1 | tee $OUT/floor-c$c.md
done
