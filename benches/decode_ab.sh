#!/usr/bin/env bash
# Two builds of the decode loop side by side at 128K: each build with its own tuned cache (the
# new one's changed families tuned first), then `sdec bench decode` for the given policies,
# builds alternating (A B A B) so that the machine's drift falls on both alike.
# Usage (on the GPU machine): benches/decode_ab.sh OLD_SDEC OLD_TUNE NEW_SDEC NEW_TUNE OUT_DIR
#   FAMILIES: what to tune in NEW_TUNE first (default linear; "" for none);
#   BATCH (default 1,2); POLICIES (default full and the 9% LycheeDecode map); ROUNDS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: decode_ab.sh OLD_SDEC OLD_TUNE NEW_SDEC NEW_TUNE OUT_DIR"
old=${1:?$usage}; old_tune=${2:?$usage}; new=${3:?$usage}; new_tune=${4:?$usage}; out=${5:?$usage}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
families=${FAMILIES-linear}
if [ -n "$families" ]; then
    SDEC_TUNE_DIR=$new_tune "$new" tune --family "$families" --json "$out/tune-new.json" 2>&1 | grep -E "^\||WRONG|tune" > "$out/tune-new.md" || true
fi
policies=()
for p in ${POLICIES:-full lychee:heads=docs/results/llama8b-heads-9pct.json}; do policies+=(--policy "$p"); done
for round in $(seq "${ROUNDS:-2}"); do
    for build in old new; do
        sdec=$old tune=$old_tune
        [ "$build" = new ] && sdec=$new tune=$new_tune
        SDEC_TUNE_DIR=$tune "$sdec" bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch "${BATCH:-1,2}" "${policies[@]}" \
            --steps "${STEPS:-48}" --warmup 5 --launch graph --json "$out/decode-$build-$round.json" > "$out/decode-$build-$round.md" 2>&1
        echo "== $build round $round"; grep -E "^\| [a-z]" "$out/decode-$build-$round.md" | cut -d'|' -f2-3,7-8
    done
done
