#!/usr/bin/env bash
# The figures of docs/results/decode.md, on the GPU machine, in one run:
#   1. tune every family (the decode loop takes the winners from .sdec/tune),
#   2. sdec bench decode on synthetic:llama-3.1-8b at 4K/32K/128K, batch 1 and 2, full and lychee,
#   3. HF transformers' full-attention decode at the same shapes (benches/hf_decode.py).
# Writes tune.json, decode.json and hf.json into $OUT (or docs/results/raw).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SDEC:-target/release/sdec}
out=${OUT:-docs/results/raw}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
"$S" tune --family all --budget-s ${TUNE_BUDGET_S:-150} --json "$out/tune.json" 2>&1 | grep -E "^\||tune" || true
"$S" bench decode --model synthetic:llama-3.1-8b --contexts ${CONTEXTS:-4k,32k,128k} --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy lychee \
    --steps ${STEPS:-32} --warmup 5 --launch ${LAUNCH:-both} --json "$out/decode.json" 2>&1 | grep -v "not tuned"
python3 benches/hf_decode.py --contexts ${HF_CONTEXTS:-4096,32768,131034} --batch 1,2 --steps 10 > "$out/hf.json"
cat "$out/hf.json"
