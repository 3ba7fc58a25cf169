#!/usr/bin/env bash
# After benches/decode_128k.sh (a tuned cache): `sdec tune --refine` for each policy and batch of
# issue #5's 128K figures, then the same decode benchmark with the refined cache. The refined
# choices go into TUNE_DIR itself (beside the isolated winners); keep a copy first to compare.
#   benches/refine_128k.sh TUNE_DIR [OUT]      (SDEC = path to the binary; ~6 minutes on an H100)
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SDEC:-target/release/sdec}
tune=${1:?usage: refine_128k.sh TUNE_DIR [OUT]}
out=${2:-docs/results/raw}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
# `full` first: its entries (dense attention, the projections) are shared by the others.
for run in "full 2" "full 1" "$lychee 1" "$lychee 2" "specattn 1"; do
    read -r policy batch <<< "$run"
    name="$(echo "$policy" | cut -d: -f1)-b$batch"
    "$S" tune --cache "$tune" --refine "$policy" --refine-batch "$batch" --refine-candidates "${CANDIDATES:-2}" \
        --refine-steps "${REFINE_STEPS:-16}" --json "$out/refine-$name.json" > "$out/refine-$name.md" 2> "$out/refine-$name.log"
    head -1 "$out/refine-$name.md"
done
SDEC_TUNE_DIR=$tune "$S" bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy "$lychee" --policy specattn \
    --steps "${STEPS:-32}" --warmup 5 --launch graph --json "$out/decode-refined.json" 2>&1 | grep -E "^\|"
