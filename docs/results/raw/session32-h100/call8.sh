# Session 32, call 8 (build s32f = 967d8d0, the final code: s32e + the referee's selection through
# one helper, comments): benches/tune.sh on a fresh machine, a third sample of calls 5 and 6.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32f/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c8; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 500 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-* $o/*.json $o/*.log $o/run.txt; tar czf $OUT/c8.tgz -C /tmp c8
