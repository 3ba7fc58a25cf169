# Session 31, call 5 (build s31b, a second run as call 2: the tuner times short kernels as several launches a run,
# runtime/src/tune/families.rs `Rotation`): benches/tune.sh with BUDGETS="0.2:8" as session 30's
# calls 5 and 11 (two exhaustive runs, descent after both, the referee).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s31b/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c5; rm -rf $o; mkdir -p $o
BUDGETS="0.2:8" TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 560 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c5.tgz -C /tmp c5
