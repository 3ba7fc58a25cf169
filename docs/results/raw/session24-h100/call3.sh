#!/usr/bin/env bash
# Session 24 call 3: the graph of 128 projections with each launch a programmatic dependent of the
# one before (first weights loaded before griddepcontrol.wait; the next launch allowed at a CTA's
# start, after its rows, or never), beside call 1's ways (benches/persist_micro/run.py).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for r in 1 2; do
  timeout 250 python3 benches/persist_micro/run.py --layers 32 --runs 30 --ctas-per-sm 2 --json $OUT/persist-pdl-$r.json 2>&1 | tee $OUT/persist-pdl-$r.txt
done
