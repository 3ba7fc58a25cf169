#!/usr/bin/env bash
# Where a decode step's time goes inside its own CUDA graph: the 128K step of each policy,
# whole and with one stage left out at a time (`sdec bench decode --omit`); the difference to
# the whole step is what the stage costs there, launch gaps and overlap with its neighbours
# included. Uses the tuned cache in $SDEC_TUNE_DIR (tune first: benches/decode_128k.sh).
#   benches/step_ablation.sh OUT [POLICY...]      (SDEC = path to the binary; BATCH, CONTEXT)
# Writes OUT/ablation.txt (one table per run) and OUT/ablation-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SDEC:-target/release/sdec}
out=${1:?usage: step_ablation.sh OUT [POLICY...]}
shift
policies=("$@")
[ ${#policies[@]} -gt 0 ] || policies=(full lychee:heads=docs/results/llama8b-heads-9pct.json)
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
args=()
for p in "${policies[@]}"; do args+=(--policy "$p"); done
i=0
for omit in none qkv rope attention o gate-up down lm-head argmax none; do
    i=$((i + 1))
    flag=()
    [ "$omit" = none ] || flag=(--omit "$omit")
    echo "== omit $omit" | tee -a "$out/ablation.txt"
    "$S" bench decode --model synthetic:llama-3.1-8b --contexts ${CONTEXT:-128k} --batch ${BATCH:-1} "${args[@]}" \
        --steps ${STEPS:-48} --warmup 5 --launch graph "${flag[@]}" --json "$out/ablation-$i-$omit.json" 2>>"$out/ablation.log" \
        | grep -E "^\|" | tail -n +3 | tee -a "$out/ablation.txt"
done
