# Session 29, call 2 (build s29b = main 4bfbacf, session 28's final code with the descent that
# starts fastest first and crosses constraints): benches/tune.sh on a fresh machine; then a
# descent at --descent-fraction 0.2 --descent-min 8 refereed against the exhaustive cache; then
# the GPU test binaries.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b
for f in sdec gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s29b/$f.gz > $b/$f && chmod +x $b/$f; done
o=/tmp/c2; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 420 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | head -30
t0=$(date +%s%N)
$b/sdec tune --family all --shapes standard --strategy descent --descent-fraction 0.2 --descent-min 8 --cache $o/cache-descent02 --budget-s 100 --json $o/descent02.json > $o/descent02.md 2> $o/descent02.log
echo "descent 0.2/8: exit $?, $(( ($(date +%s%N) - t0) / 1000000 )) ms wall"; tail -n 2 $o/descent02.md
$b/sdec tune --family all --shapes standard --cache $o/cache-exhaustive --referee $o/cache-descent02 --json $o/referee02.json > $o/referee02.md 2> $o/referee02.log
tail -n 1 $o/referee02.md
cp $b/gpu_* benches/ 2>/dev/null; bash benches/gpu_tests.sh $o/gpu
for c in $o/cache-*; do gzip -c $c/tune.json > $o/$(basename $c).tune.json.gz 2>/dev/null; done
rm -rf $o/cache-*; tar czf $OUT/c2.tgz -C /tmp c2
