#!/usr/bin/env bash
# Call 1 (session 13): where [64 x 2048]'s time goes (probe), digit widths, launch floors.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
m=.carry/m
python3 benches/topk_micro/run.py --json $OUT/micro1.json base=- probe=$m/probe.cu b9=-:DIGIT_BITS=9 \
  b10=-:DIGIT_BITS=10 b8=-:DIGIT_BITS=8 t256=-:THREADS=256,ITEMS=8 t256b9=-:THREADS=256,ITEMS=8,DIGIT_BITS=9 \
  t1024=-:THREADS=1024,ITEMS=2 carve100=-:CARVEOUT=100 probe9=$m/probe.cu:DIGIT_BITS=9 2>&1 | tee $OUT/micro1.txt
$m/sdec bench kernels --family topk --shape "2048]" --json $OUT/sdec-bench.json 2>&1 | tail -5
