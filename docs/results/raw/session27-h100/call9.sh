#!/usr/bin/env bash
# Session 27 call 9. Build s27f on call 7's refined cache: Nsight Compute on the verification's
# chunk_attend at 128K (b1, 7 rows, the refined configuration), inside the SpecAttn round.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o/tune
b=s27f; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
cp .carry/c7tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
timeout 300 ncu --clock-control none -k regex:chunk_attend --launch-skip 70 --launch-count 1 \
  --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats --section SchedulerStats \
  --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section InstructionStats --section SourceCounters \
  -o $o/chunk -f /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
  --steps 3 --warmup 1 --launch graph > $o/ncu-run.txt 2>&1
echo "ncu exit $?"
ncu --import $o/chunk.ncu-rep --print-details all > $o/details.txt 2>&1
ncu --import $o/chunk.ncu-rep --page source --print-source sass --csv > $o/sass.csv 2>&1
rm -f $o/chunk.ncu-rep
grep -E "Grid Size|Block Size|Registers Per|Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Theoretical Occupancy|Issue Slots Busy|No Eligible|Stall [A-Z]|Executed Ipc|L1/TEX Hit|L2 Hit|Shared Memory Configuration|Dynamic Shared|Static Shared|Block Limit" $o/details.txt | head -60
rm -rf $o/tune; tar czf $OUT/c9.tgz -C /tmp c9
