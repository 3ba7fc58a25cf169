# Session 29, call 3 (build s29c = s29b + each reference check starting as soon as its GPU run
# is done, beside the later runs and timings): benches/tune.sh on a fresh machine; the descent at
# --descent-fraction 0.2 --descent-min 8 refereed against the exhaustive cache; gpu_tune.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b
for f in sdec gpu_tune; do gunzip -c .carry/s29c/$f.gz > $b/$f && chmod +x $b/$f; done
o=/tmp/c3; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 420 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive|descent"
t0=$(date +%s%N)
$b/sdec tune --family all --shapes standard --strategy descent --descent-fraction 0.2 --descent-min 8 --cache $o/cache-descent02 --budget-s 100 --json $o/descent02.json > $o/descent02.md 2> $o/descent02.log
echo "descent 0.2/8: exit $?, $(( ($(date +%s%N) - t0) / 1000000 )) ms wall"; tail -n 2 $o/descent02.md
$b/sdec tune --family all --shapes standard --cache $o/cache-exhaustive --referee $o/cache-descent02 --json $o/referee02.json > $o/referee02.md 2> $o/referee02.log
tail -n 1 $o/referee02.md
timeout 120 $b/gpu_tune > $o/gpu_tune.txt 2>&1; echo "gpu_tune rc $?: $(grep 'test result' $o/gpu_tune.txt)"
ls $o/cache-exhaustive | head -3
python3 -c "
import gzip, glob, os, shutil
for c in glob.glob('$o/cache-*'):
    src = os.path.join(c, 'tune.json')
    if os.path.exists(src):
        with open(src, 'rb') as f, gzip.open('$o/' + os.path.basename(c) + '.tune.json.gz', 'wb') as g: shutil.copyfileobj(f, g)
"
rm -rf $o/cache-*; tar czf $OUT/c3.tgz -C /tmp c3
