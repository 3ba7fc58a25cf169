#!/usr/bin/env bash
# The kernel timeline of decode steps inside their CUDA graphs, without Nsight Systems: builds
# the CUPTI injection library (build.sh), runs `sdec bench decode` under it, and prints the last
# timed step's kernels: totals, idle time, and what ran together (summary.py).
#   SDEC=path/to/sdec benches/cupti_trace/run.sh OUT [POLICY] [BATCH] [CONTEXT]   (GPU machine)
# Writes OUT/trace-bBATCH.csv (every kernel), OUT/step-bBATCH.csv (the last step) and prints the
# summary. Tune first (SDEC_TUNE_DIR or the default cache) so the step runs the tuned kernels.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out=${1:?usage: run.sh OUT [POLICY] [BATCH] [CONTEXT]}
policy=${2:-lychee:heads=docs/results/llama8b-heads-9pct.json}
batch=${3:-2}
ctx=${4:-128k}
S=${SDEC:-target/release/sdec}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
"$here/build.sh" "$out"
SDEC_TRACE_OUT="$out/trace-b$batch.csv" CUDA_INJECTION64_PATH="$out/libsdec_trace.so" \
    "$S" bench decode --model synthetic:llama-3.1-8b --contexts "$ctx" --batch "$batch" --policy "$policy" \
    --steps 6 --warmup 2 --launch graph > "$out/run-b$batch.txt" 2>&1
tail -n 3 "$out/run-b$batch.txt"
python3 "$here/summary.py" "$out/trace-b$batch.csv" "$out/step-b$batch.csv"
