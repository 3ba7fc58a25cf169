#!/usr/bin/env bash
# SpecAttn's acceptance on a real model and real text (GPU machine): `sdec generate --device cuda`
# under specattn and under full on the same prompt, for each prompt length; prints the mean
# tokens accepted per round of γ + 1 and whether the tokens equal full's (they must: lossless).
#   benches/spec_accept.sh TEXT_FILE [CHARS...]      (SDEC = the binary, MODEL = smollm2)
# Writes spec-CHARS.json and full-CHARS.json into $OUT (or /tmp).
set -euo pipefail
S=${SDEC:-target/release/sdec}
MODEL=${MODEL:-smollm2}
NEW=${NEW_TOKENS:-256}
POLICY=${POLICY:-specattn}
text=$1; shift
out=${OUT:-/tmp}
for chars in "${@:-8000}"; do
    head -c "$chars" "$text" > "$out/prompt-$chars.txt"
    for p in "$POLICY" full; do
        name=$([ "$p" = full ] && echo full || echo spec)
        "$S" generate --device cuda --model "$MODEL" --policy "$p" --prompt-file "$out/prompt-$chars.txt" \
            --max-new-tokens "$NEW" --ignore-eos --json > "$out/$name-$chars.json" 2> "$out/$name-$chars.err" \
            || { tail -5 "$out/$name-$chars.err"; exit 1; }
    done
    python3 - "$out/spec-$chars.json" "$out/full-$chars.json" "$chars" <<'PY'
import json, sys
spec, full = (json.load(open(p)) for p in sys.argv[1:3])
acc = spec["acceptance"]
same = spec["generated_ids"] == full["generated_ids"]
print(f"{sys.argv[3]} chars = {len(spec['prompt_ids'])} prompt tokens: {len(spec['generated_ids'])} new tokens in "
      f"{len(acc)} rounds, mean accepted per round {sum(acc) / max(len(acc), 1):.2f}; tokens equal full's: {same}")
if not same:
    # Where they part, and full's logit margin (top-1 minus top-2) there: a near tie that the
    # two passes' float rounding decides differently, or a real difference.
    i = next(i for i, (a, b) in enumerate(zip(spec["generated_ids"], full["generated_ids"])) if a != b)
    margin = lambda r: r["top5"][i][0][1] - r["top5"][i][1][1]
    print(f"  first difference at new token {i}: full {full['generated_ids'][i]} (margin {margin(full):.4f}), "
          f"specattn {spec['generated_ids'][i]} (margin {margin(spec):.4f})")
PY
done
