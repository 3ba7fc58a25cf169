#!/usr/bin/env bash
# The kernel timeline of decode steps inside their CUDA graphs, without Nsight Systems: builds
# the CUPTI injection library (build.sh), runs `sdec bench decode` under it, and prints the last
# timed step's kernels: totals, idle time, and what ran together (summary.py).
#   SDEC=path/to/sdec benches/cupti_trace/run.sh OUT [POLICY] [BATCH] [CONTEXT]   (GPU machine)
# Writes OUT/trace-bBATCH[-TAG].csv (every kernel), OUT/step-….csv (the last step) and prints the
# summary. Tune first (SDEC_TUNE_DIR or the default cache) so the step runs the tuned kernels.
# BENCH_ARGS: more flags of `sdec bench decode` (e.g. "--omit select"); TAG names the files;
# PASSES: how many passes from the end to summarise (7: a SpecAttn round of γ = 6).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out=${1:?usage: run.sh OUT [POLICY] [BATCH] [CONTEXT]}
policy=${2:-lychee:heads=docs/results/llama8b-heads-9pct.json}
batch=${3:-2}
ctx=${4:-128k}
S=${SDEC:-target/release/sdec}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
"$here/build.sh" "$out"
name="b$batch${TAG:+-$TAG}"
# shellcheck disable=SC2086
SDEC_TRACE_OUT="$out/trace-$name.csv" CUDA_INJECTION64_PATH="$out/libsdec_trace.so" \
    "$S" bench decode --model synthetic:llama-3.1-8b --contexts "$ctx" --batch "$batch" --policy "$policy" \
    --steps 6 --warmup 2 --launch graph ${BENCH_ARGS:-} > "$out/run-$name.txt" 2>&1
tail -n 3 "$out/run-$name.txt"
python3 "$here/summary.py" "$out/trace-$name.csv" "$out/step-$name.csv" "${PASSES:-1}"
