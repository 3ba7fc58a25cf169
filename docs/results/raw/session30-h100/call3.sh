# Session 30, call 3 (build s30a; call 2's tuned and refined cache): Nsight Compute on the
# verification's chunk_attend at 128K (b1, the TMA winner) inside the SpecAttn round;
# compute-sanitizer memcheck and racecheck on chunk_attention's TMA configurations (fuzz cases
# 1, 3, 4: token_warps 2, 1, 4); the GPU test binaries.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c3; rm -rf $o; mkdir -p $o/tune $o/san
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30a/sdec.gz > $b/sdec && chmod +x $b/sdec
gunzip -c .carry/s30t/tune-all.json.gz > $o/tune/tune.json
SDEC_TUNE_DIR=$o/tune timeout 200 ncu --clock-control none -k regex:chunk_attend --launch-skip 70 --launch-count 1 \
  --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats --section SchedulerStats \
  --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section InstructionStats \
  -o $o/chunk -f $b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
  --steps 3 --warmup 1 --launch graph > $o/ncu-run.txt 2>&1
echo "ncu exit $?"
ncu --import $o/chunk.ncu-rep --print-details all > $o/details.txt 2>&1; rm -f $o/chunk.ncu-rep
grep -E "Grid Size|Block Size|Registers Per|Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Issue Slots Busy|No Eligible|Stall [A-Z]|Executed Ipc|Dynamic Shared|Block Limit|Pipe|Tensor" $o/details.txt | head -50
san="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
for t in memcheck racecheck; do for c in 1 3 4; do
  ( timeout 200 "$san" --tool $t --error-exitcode 9 $b/sdec fuzz --family chunk_attention --case $c --seed 5 --max-size 200000 > $o/san/$t-$c.txt 2>&1
    echo "$t case $c: exit $? | $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $o/san/$t-$c.txt | head -1) | $(grep -E 'passed,' $o/san/$t-$c.txt | tail -1)" ) &
done; done; wait
mkdir -p $o/tests; cp .carry/s30t/gpu_* benches/ && bash benches/gpu_tests.sh $o/tests
rm -rf $o/tune; tar czf $OUT/c3.tgz -C /tmp c3
