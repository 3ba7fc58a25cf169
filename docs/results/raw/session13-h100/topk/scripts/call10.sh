#!/usr/bin/env bash
# Call 10 (session 13): ncu of v2 with the finest warp sampling: stall reasons per SASS line.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
ncu --clock-control none -k regex:topk_resident --launch-skip 20 --launch-count 1 --section SourceCounters --section WarpStateStats \
  --warp-sampling-interval 0 --import-source no -o $OUT/v2 -f python3 benches/topk_micro/run.py --runs 20 v2=$m/v2.cu > $OUT/ncu-run.txt 2>&1
echo "ncu rc $?"
ncu -i $OUT/v2.ncu-rep --page source --csv --print-source sass > $OUT/v2-source.csv 2>&1
ncu -i $OUT/v2.ncu-rep --page details > $OUT/v2-details.txt 2>&1
rm -f $OUT/v2.ncu-rep; wc -l $OUT/v2-source.csv
