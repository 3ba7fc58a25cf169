#!/usr/bin/env bash
# Nsight Compute on `topk_cluster` for [64 × 128K] k = 2048 (its best configuration): the issue
# and stall picture and the per-instruction (SASS) counts, for work on its fixed cost.
#   benches/ncu_topk_cluster.sh OUT        (SDEC = path to the binary; on the GPU machine)
set -euo pipefail
out=${1:?usage: ncu_topk_cluster.sh OUT}
S=${SDEC:-target/release/sdec}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
cfg=${CONFIG:-'{"threads":1024,"items":4,"ctas_per_row":2,"aggregate":false,"strategy":2,"digit_bits":11}'}
ncu --clock-control none -k regex:topk_cluster --launch-skip 10 --launch-count 1 \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats \
    --section SchedulerStats --section InstructionStats --section SourceCounters --section MemoryWorkloadAnalysis \
    -o "$out/cluster" -f "$S" bench kernels --family topk --shape "[64 x 131072] k=2048" --config "$cfg" > "$out/run.txt" 2>&1
ncu --import "$out/cluster.ncu-rep" --print-details all > "$out/details.txt" 2>&1 || true
ncu --import "$out/cluster.ncu-rep" --page source --print-source sass --csv > "$out/sass.csv" 2>&1 || true
rm -f "$out/cluster.ncu-rep"
