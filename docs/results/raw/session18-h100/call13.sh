#!/usr/bin/env bash
# Session 18 call 13 (main's code): a wider refinement for LycheeDecode at b1 — session 16's
# refined cache (stale top-k entries retuned), `full` and `lychee` b1 timed, then
# `sdec tune --refine lychee --refine-candidates 6` (session 16 took 2), then both timed again.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18k
o=/tmp/c13; mkdir -p $o/tune
cp $C/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
L=lychee:heads=docs/results/llama8b-heads-9pct.json
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
bench() { timeout 150 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy $L \
    --steps 32 --warmup 5 --launch graph --json $o/decode-$1.json > $o/decode-$1.txt 2>&1; echo "$1 exit $?"; grep -E "^\| (full|lychee)" $o/decode-$1.txt | cut -d'|' -f2,7,14; }
bench before
timeout 300 $C/sdec tune --cache $o/tune --refine $L --refine-batch 1 --refine-candidates 6 --refine-steps 16 --json $o/refine.json > $o/refine.md 2> $o/refine.log
echo "refine exit $?"; head -1 $o/refine.md; grep -v "as cached" $o/refine.md | tail -n +3 | cut -c1-260
bench after
tar czf $OUT/call13.tgz --exclude=tune -C /tmp c13
