#!/bin/bash
# Session 19 call 1: where the seven-row products' time goes (benches/linear_micro, no sdec build).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
M=benches/linear_micro
V=$M/variants
mkdir -p $OUT/call1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $OUT/call1/gpu.txt
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-o,b7-gate-up,b7-down,b7-qkv-bf16,b7-gate-up-bf16,b1-qkv,b1-gate-up \
  --json $OUT/call1/all.json main=- > $OUT/call1/all.txt 2>&1
python3 $M/run.py --runs 60 --shapes b7-qkv,b7-gate-up --json $OUT/call1/stream.json \
  main=-:UNROLL=2 stream=$V/stream_only.cu:UNROLL=2,CHECK=0 > $OUT/call1/stream.txt 2>&1
ncu --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats --section Occupancy \
  -k linear --launch-count 1 python3 $M/run.py --shapes b7-gate-up --ncu main/b7-gate-up/t128r2u2m1 main=-:THREADS=128,ROWS=2,UNROLL=2 \
  > $OUT/call1/ncu-b7-gate-up.txt 2>&1
ncu --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats --section Occupancy \
  -k linear --launch-count 1 python3 $M/run.py --shapes b1-gate-up --ncu main/b1-gate-up/t256r2u4m0 main=-:THREADS=256,ROWS=2,UNROLL=4 \
  > $OUT/call1/ncu-b1-gate-up.txt 2>&1
tail -30 $OUT/call1/all.txt; tail -12 $OUT/call1/stream.txt
grep -E "Duration|DRAM Throughput|Stall|Eligible|Achieved Occupancy|L2 Hit|Mem Busy|Issued Warp" $OUT/call1/ncu-b*.txt | head -40
