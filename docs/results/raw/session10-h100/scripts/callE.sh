#!/usr/bin/env bash
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out /tmp/w; tar xzf .carry/tune/variants2.tgz -C /tmp/w
for round in 1 2; do
for v in ${VARIANTS:-tn v1 v4 v5}; do
  SDEC_TUNE_DIR=/tmp/w/$v .carry/n/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json \
     --steps 32 --warmup 5 --launch graph --json $out/$v-$round.json > $out/$v-$round.md 2>&1
  echo "$v $round: $(grep -E '^\| [a-z]' $out/$v-$round.md | cut -d'|' -f3,7 | tr '\n' ' ')"
done; done
tar czf $out/all.tgz $out/*.md
