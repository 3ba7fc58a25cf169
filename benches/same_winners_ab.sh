#!/usr/bin/env bash
# Two builds of the decode loop on the same tuned configurations (GPU machine): a cache (a
# figures run's tune-all.json.gz, or a tune.json) re-filed under each build's kernel source
# hashes (cache_variant.py --rekey), then benches/decode_ab.sh with nothing tuned, builds
# alternating. What the tuner would choose for each build stays out of the comparison.
#   benches/same_winners_ab.sh CACHE SDEC_A SDEC_B OUT
# POLICIES, BATCH, ROUNDS, STEPS pass through to decode_ab.sh (defaults there).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: same_winners_ab.sh CACHE SDEC_A SDEC_B OUT"
cache=${1:?$usage}; a=${2:?$usage}; b=${3:?$usage}; out=${4:?$usage}
mkdir -p "$out/base"
case "$cache" in
    *.gz) gunzip -c "$cache" > "$out/base/tune.json" ;;
    *) cp "$cache" "$out/base/tune.json" ;;
esac
python3 benches/cache_variant.py --rekey "$a" "$out/base" "$out/tune-a"
python3 benches/cache_variant.py --rekey "$b" "$out/base" "$out/tune-b"
FAMILIES="" bash benches/decode_ab.sh "$a" "$out/tune-a" "$b" "$out/tune-b" "$out/ab"
# SpecAttn's rounds, when timed: round = drafts + verification + selection, per build and round.
for f in "$out"/ab/decode-*.md; do
    line=$(grep -A3 'SpecAttn rounds' "$f" | tail -1 || true)
    [ -z "$line" ] || echo "$(basename "$f" .md) $line"
done
rm -rf "$out/base" "$out"/tune-*/cubin
