#!/usr/bin/env bash
# Issue #5's 128K figures in one GPU call (~5 minutes on an H100, ~8 with SpecAttn): every family
# tuned afresh into OUT/tune, refined in the decode step at batch 1 for `full` and `lychee` (and,
# with SPEC=1, SpecAttn: 2 candidates, 8 rounds), then `sdec bench decode` at 128K, batch 1 and 2
# (SpecAttn rounds timed keeping 6 tokens each, `--spec-accepted`'s default: decode.md section 26).
# The recipe of docs/results/decode.md sections 21 and 23 (benches/refine_128k.sh refines every
# batch and takes longer). With the sdec binary in SDEC (default target/release/sdec):
#   benches/figures_128k.sh OUT          (OUT outside $OUT on the device: tar it, without OUT/tune/cubin)
# CANDIDATES (default 3): `--refine-candidates` of `full` and `lychee`; SPEC_CANDIDATES (default
# 2) SpecAttn's (each policy refines its own choices: docs/autotune.md).
set -uo pipefail
cd "$(dirname "$0")/.."
S=${SDEC:-target/release/sdec}
o=${1:?usage: figures_128k.sh OUT}
mkdir -p "$o/tune"
export SDEC_TUNE_DIR=$o/tune
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
s=$(date +%s); timeout 230 "$S" tune --family all > "$o/tune-all.txt" 2>&1
echo "tune all exit $? in $(( $(date +%s) - s )) s"
for p in full "$lychee"; do
    n=${p%%:*}; s=$(date +%s)
    timeout 150 "$S" tune --refine "$p" --refine-candidates "${CANDIDATES:-3}" > "$o/refine-$n.txt" 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' "$o/refine-$n.txt" | tail -1)"
done
policies=(--policy full --policy "$lychee")
if [ "${SPEC:-0}" = 1 ]; then
    s=$(date +%s)
    timeout 220 "$S" tune --refine specattn --refine-candidates "${SPEC_CANDIDATES:-2}" --refine-steps 8 > "$o/refine-specattn.txt" 2>&1
    echo "refine specattn exit $? in $(( $(date +%s) - s )) s"
    policies+=(--policy specattn)
fi
timeout 150 "$S" bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 "${policies[@]}" \
    --steps 32 --warmup 5 --launch graph --json "$o/decode.json" > "$o/decode.txt" 2>&1
echo "decode exit $?"; grep -E "^\|" "$o/decode.txt"
