# Session 32, call 4 (build s32d = 64f3c3a: descent's starts pruned at 10% of the best so far, its choice
# window 3%, its default budget 0.1 of a space, its next lines compiled while it measures a move, the
# confirmation timed without verifying again, progress saved every 2 s): benches/tune.sh (two exhaustive
# runs, descent after both, the referee), with a descent at (0.15, 12) refereed the same way.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32d/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c4; rm -rf $o; mkdir -p $o
BUDGETS="0.15:12" TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 570 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c4.tgz -C /tmp c4
