#!/usr/bin/env bash
# Call 4 (session 13): ncu of the resident kernel (v1, grouped picks): stall reasons per SASS line.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
ncu --clock-control none -k regex:topk_resident --launch-skip 30 --launch-count 1 --set full --import-source no \
  -o $OUT/v1 -f python3 benches/topk_micro/run.py --runs 20 v1=$m/v1.cu > $OUT/ncu-run.txt 2>&1
echo "ncu rc $?"
ncu -i $OUT/v1.ncu-rep --page details --section WarpStateStats --section SchedulerStats --section LaunchStats --section Occupancy > $OUT/v1-details.txt 2>&1
ncu -i $OUT/v1.ncu-rep --page source --csv --print-source sass > $OUT/v1-source.csv 2>&1
echo "source rc $?"; wc -l $OUT/v1-source.csv; head -3 $OUT/v1-source.csv | cut -c1-600
grep -E "Issue|Eligible|Active Warps|Stall|Duration|Warp Cycles|No Eligible" $OUT/v1-details.txt | head -40
rm -f $OUT/v1.ncu-rep
