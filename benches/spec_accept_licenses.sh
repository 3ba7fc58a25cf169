#!/usr/bin/env bash
# SpecAttn's acceptance over every licence text of the machine (/usr/share/common-licenses, the
# first 8000 characters of each that has them; links skipped): a wider sample than the four
# fixed texts, whose mean moves with near ties (docs/results/decode.md). Prints each text's line
# from spec_accept.sh and the mean over all.
#   benches/spec_accept_licenses.sh      (SDEC, SDEC_MODEL_DIR, OUT as for spec_accept.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp}
chars=${CHARS:-8000}
: > "$out/licences.txt"
for text in /usr/share/common-licenses/*; do
    [ -f "$text" ] && [ ! -L "$text" ] && [ "$(wc -c < "$text")" -ge "$chars" ] || continue
    mkdir -p "$out/$(basename "$text")"
    line=$(OUT="$out/$(basename "$text")" benches/spec_accept.sh "$text" "$chars" | head -2)
    echo "$(basename "$text"): $line" | tee -a "$out/licences.txt"
done
python3 - "$out/licences.txt" <<'PY'
import re, sys
means = [float(m) for m in re.findall(r"mean accepted per round ([0-9.]+)", open(sys.argv[1]).read())]
print(f"{len(means)} texts, mean accepted per round {sum(means) / len(means):.3f}")
PY
