#!/usr/bin/env bash
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out /tmp/w; [ -d /tmp/w/tn ] || tar xzf .carry/tune/variants2.tgz -C /tmp/w
for round in 1 2; do
for co in none 100; do
for v in tn v4 v5; do
  if [ $co = none ]; then unset SDEC_CARVEOUT; else export SDEC_CARVEOUT=$co; fi
  SDEC_TUNE_DIR=/tmp/w/$v .carry/n/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
     --steps 32 --warmup 5 --launch graph --json $out/$v-$co-$round.json > $out/$v-$co-$round.md 2>&1
  echo "$v co=$co $round: $(grep -E '^\| [a-z]' $out/$v-$co-$round.md | cut -d'|' -f3,7 | tr '\n' ' ') round $(grep -E '^\| 1 \| 1' $out/$v-$co-$round.md | cut -d'|' -f5)"
done; done; done
tar czf $out/all.tgz $out/*.md
