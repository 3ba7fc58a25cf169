# Session 31, call 9 (build s31d = s31b + the choice rule's floor 4% (was 3%); a fresh pair of exhaustive runs,
# the tuner timing short kernels as several launches a run): benches/tune.sh with BUDGETS="0.2:8" as
# calls 2 and 5 (two exhaustive runs, descent after both, the referee).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s31d/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c9; rm -rf $o; mkdir -p $o
BUDGETS="0.2:8" TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 560 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c9.tgz -C /tmp c9
