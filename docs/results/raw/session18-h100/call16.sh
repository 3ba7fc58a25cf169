#!/usr/bin/env bash
# Session 18 call 16, the final build: a wider refinement for SpecAttn (`sdec tune --refine
# specattn --refine-candidates 6`; session 16 took 2) on session 16's refined cache (stale top-k
# entries retuned), `full` and the SpecAttn round at 128K b1 timed before and after.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18m
o=/tmp/c16; mkdir -p $o/tune
cp $C/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
bench() { timeout 150 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 32 --warmup 5 --launch graph > $o/decode-$1.txt 2>&1; echo "$1 exit $?"; grep -E "^\| full" $o/decode-$1.txt | cut -d'|' -f2,7; grep -A2 '^| batch' $o/decode-$1.txt | tail -1; }
bench before
timeout 330 $C/sdec tune --cache $o/tune --refine specattn --refine-batch 1 --refine-candidates 6 --refine-steps 8 --json $o/refine.json > $o/refine.md 2> $o/refine.log
echo "refine exit $?"; head -1 $o/refine.md; grep -v "as cached" $o/refine.md | tail -n +4 | cut -c1-200
bench after
tar czf $OUT/call16.tgz --exclude=tune -C /tmp c16
