#!/usr/bin/env bash
# Session 18 call 14, main as it lands: the GPU test binaries; then a wider refinement on session
# 16's refined cache (stale top-k entries retuned): `full` and `lychee` b1 timed, each refined
# with 6 candidates an entry (session 16 took 2; `full` first, as benches/refine_128k.sh), both
# timed again. (Call 13 meant to do this but carried call 12's experiment binary.)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18l
o=/tmp/c14; mkdir -p $o/tune
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
cp $C/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
L=lychee:heads=docs/results/llama8b-heads-9pct.json
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
grep -c "not trusted" $o/tune.txt
bench() { timeout 150 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy $L \
    --steps 32 --warmup 5 --launch graph --json $o/decode-$1.json > $o/decode-$1.txt 2>&1; echo "$1 exit $?"; grep -E "^\| (full|lychee)" $o/decode-$1.txt | cut -d'|' -f2,7,14; }
bench before
for p in full $L; do
    n=$(echo $p | cut -d: -f1)
    timeout 200 $C/sdec tune --cache $o/tune --refine $p --refine-batch 1 --refine-candidates 6 --refine-steps 16 --json $o/refine-$n.json > $o/refine-$n.md 2> $o/refine-$n.log
    echo "refine $n exit $?"; head -1 $o/refine-$n.md
done
bench after
tar czf $OUT/call14.tgz --exclude=tune -C /tmp c14
