#!/usr/bin/env bash
# Builds of the top-k kernels side by side (docs/results/kernels.md, session 11): each build after
# the first is fuzzed, then `sdec bench kernels --family topk` on the rows matching SHAPE runs
# for every build in turn, ROUNDS times (A B A B ...), so that the machine's drift falls on all
# alike; each run prints its three best times per shape and the best configuration.
# Usage (on the GPU machine): benches/topk_ab.sh OUT_DIR SDEC_A SDEC_B [SDEC_C ...]
#   SHAPE (default "131072]": the long rows), ROUNDS (3), CASES (1000), SEED (121)
set -uo pipefail
out=${1:?usage: topk_ab.sh OUT_DIR SDEC_A SDEC_B [...]}
shift
[ $# -ge 2 ] || { echo "usage: topk_ab.sh OUT_DIR SDEC_A SDEC_B [...]" >&2; exit 2; }
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
builds=("$@")
for ((b = 1; b < ${#builds[@]}; ++b)); do
    "${builds[b]}" fuzz --family topk --cases "${CASES:-1000}" --seed "${SEED:-121}" > "$out/fuzz-$b.txt" 2>&1
    echo "fuzz of build $b ($(basename "${builds[b]}")): rc $?, $(tail -1 "$out/fuzz-$b.txt")"
    grep -A1 '^FAIL' "$out/fuzz-$b.txt" | head -4
done
for ((round = 1; round <= ${ROUNDS:-3}; ++round)); do
    for ((b = 0; b < ${#builds[@]}; ++b)); do
        json="$out/ab-$b-$round.json"
        "${builds[b]}" bench kernels --family topk --shape "${SHAPE:-131072]}" --json "$json" > /dev/null 2>&1
        python3 - "$json" "$(basename "${builds[b]}")" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for row in report["rows"]:
    best = sorted(row["timings"], key=lambda t: t[1])
    print(sys.argv[2], row["shape"], " ".join("%.2f" % t for _, t in best[:3]), best[0][0])
PY
    done
done
