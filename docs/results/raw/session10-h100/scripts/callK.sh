#!/usr/bin/env bash
# After callJ (full b2, b1 refined): refine lychee b1, b2 and specattn b1 on the same cache, then
# time full / lychee / specattn with the tuner's cache and the refined one, alternating.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out
rm -rf /tmp/rk && mkdir -p /tmp/rk && tar xzf .carry/tune/refined-j.tgz -C /tmp/rk && tar xzf .carry/tune/tnew-s10.tgz -C /tmp/rk
S=.carry/n/sdec
L=lychee:heads=docs/results/llama8b-heads-9pct.json
for pb in "$L 1" "$L 2" "specattn 1"; do
  set -- $pb; p=$1; b=$2; name=$(echo $p | cut -d: -f1)-b$b
  start=$(date +%s)
  $S tune --cache /tmp/rk/refined --refine $p --refine-batch $b --refine-candidates 2 --refine-steps 16 --json $out/refine-$name.json > $out/refine-$name.md 2> $out/refine-$name.log
  echo "$name: rc $? in $(( $(date +%s) - start )) s"; head -1 $out/refine-$name.md; grep -v "the winner |" $out/refine-$name.md | tail -n +4 | cut -c1-250
done
tar czf $out/refined.tgz -C /tmp/rk refined
for round in 1 2; do for c in tnew refined; do
  SDEC_TUNE_DIR=/tmp/rk/$c $S bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy $L --policy specattn \
     --steps 32 --warmup 5 --launch graph --json $out/decode-$c-$round.json > $out/decode-$c-$round.md 2>&1
  echo "$c $round: $(grep -E '^\| [a-z]' $out/decode-$c-$round.md | cut -d'|' -f3,7 | tr '\n' ' ') round $(grep -A2 'γ drafts' $out/decode-$c-$round.md | tail -1 | cut -d'|' -f5)"
done; done
