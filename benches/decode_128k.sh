#!/usr/bin/env bash
# The 128K figures of issue #5 in one run on the GPU machine: tune every family into its own
# cache folder, then time full, LycheeDecode (the 9% head map) and SpecAttn's rounds at 128K,
# batch 1 and 2 (specattn: batch 1).
#   benches/decode_128k.sh TUNE_DIR [OUT]       (SDEC = path to the binary)
# Writes tune.json and decode.json into OUT (default: docs/results/raw).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SDEC:-target/release/sdec}
export SDEC_TUNE_DIR=${1:?usage: decode_128k.sh TUNE_DIR [OUT]}
out=${2:-docs/results/raw}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
start=$(date +%s)
"$S" tune --family all --budget-s ${TUNE_BUDGET_S:-280} --json "$out/tune.json" 2>&1 | grep -E "^\||tune|WRONG" || true
echo "tune wall: $(( $(date +%s) - start )) s"
"$S" bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps ${STEPS:-32} --warmup 5 --launch graph --json "$out/decode.json" 2>&1
