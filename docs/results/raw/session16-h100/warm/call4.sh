#!/usr/bin/env bash
# Session 16 calls 4 and 5: `attend` asks L2 to prefetch the o projection's weights while it streams
# K/V (SDEC_WARM_O=1; call 4 at its start, call 5 after its own reads) against not (0), one binary, call 2's refined cache with its keys moved to
# this build's source hashes (.carry/t16w; the winners unchanged, compiled on start).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s16c/sdec
rm -rf /tmp/t16w && cp -r .carry/t16w /tmp/t16w && export SDEC_TUNE_DIR=/tmp/t16w
for w in 0 1; do
  SDEC_WARM_O=$w timeout 60 $c check --model synthetic:tiny --policy lychee --graph --steps 24 > $OUT/check-lychee-w$w.txt 2>&1
  SDEC_WARM_O=$w timeout 60 $c check --model synthetic:tiny --policy specattn --graph --steps 24 > $OUT/check-spec-w$w.txt 2>&1
  echo "check w$w: $(tail -1 $OUT/check-lychee-w$w.txt) / $(tail -1 $OUT/check-spec-w$w.txt)"
done
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for round in 1 2; do for w in 0 1; do
  SDEC_WARM_O=$w timeout 120 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy $lychee --policy specattn \
    --steps 32 --warmup 5 --launch graph > $OUT/r$round-w$w.md 2>&1
  echo "round $round warm $w: $(grep -E '^\| (full|lychee|specattn)' $OUT/r$round-w$w.md | cut -d'|' -f7 | tr '\n' ' ') round $(grep -E '^\| 1 \| 1308' $OUT/r$round-w$w.md | cut -d'|' -f5)"
done; done
