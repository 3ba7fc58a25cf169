#!/usr/bin/env bash
# Nsight Compute on the LycheeDecode mixed layer's `attend` (one retrieval head of 128K tokens
# beside seven lists of 4480, batch 1, the tuned configuration): the issue and stall picture and
# the per-instruction (SASS) counts, for work on the loop's instructions a token. SHAPE (a row of
# `sdec bench kernels --family gather_attention`, e.g. "9175 tokens" for SpecAttn's draft gather)
# and CONFIG profile another gather.
#   benches/ncu_mixed_gather.sh OUT        (SDEC = path to the binary; on the GPU machine)
set -euo pipefail
out=${1:?usage: ncu_mixed_gather.sh OUT}
S=${SDEC:-target/release/sdec}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
cfg=${CONFIG:-'{"threads":128,"split_tokens":512,"unroll":2,"mma":0}'}
shape=${SHAPE:-"b1 32q/8kv d128 ctx128K, 4480 tokens, 1/8 dense + scores"}
ncu --clock-control none -k regex:attend --launch-skip 10 --launch-count 1 \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats \
    --section SchedulerStats --section InstructionStats --section SourceCounters --section MemoryWorkloadAnalysis \
    -o "$out/mixed" -f "$S" bench kernels --family gather_attention --shape "$shape" --config "$cfg" > "$out/run.txt" 2>&1
ncu --import "$out/mixed.ncu-rep" --print-details all > "$out/details.txt" 2>&1 || true
ncu --import "$out/mixed.ncu-rep" --page source --print-source sass --csv > "$out/sass.csv" 2>&1 || true
rm -f "$out/mixed.ncu-rep"
