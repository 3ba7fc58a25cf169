# Session 29, call 8 (build s29g = s29f + each entry's first configurations compiled during the entry
# before it, for both strategies): benches/tune.sh on a fresh machine; then a descent at
# (fraction, min) = (0.2, 8), refereed against the exhaustive cache; the GPU test binaries.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b
for f in sdec gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s29g/$f.gz > $b/$f && chmod +x $b/$f; done
o=/tmp/c8; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 400 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive|descent"
for fm in "0.2 8"; do
  set -- $fm; n=d$1-$2
  t0=$(date +%s%N)
  $b/sdec tune --family all --shapes standard --strategy descent --descent-fraction $1 --descent-min $2 --cache $o/cache-$n --budget-s 100 --json $o/$n.json > $o/$n.md 2> $o/$n.log
  echo "descent $1/$2: exit $?, $(( ($(date +%s%N) - t0) / 1000000 )) ms wall"; tail -n 2 $o/$n.md
  $b/sdec tune --family all --shapes standard --cache $o/cache-exhaustive --referee $o/cache-$n --json $o/referee-$n.json > $o/referee-$n.md 2> $o/referee-$n.log
  tail -n 1 $o/referee-$n.md; grep -E "\| (1\.0[3-9]|1\.[1-9])" $o/referee-$n.md | cut -c1-220
done
cp $b/gpu_* benches/; bash benches/gpu_tests.sh $o/gpu
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c8.tgz -C /tmp c8
