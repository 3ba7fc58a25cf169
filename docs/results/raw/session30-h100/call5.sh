# Session 30, call 5 (build s30a: the GPU paths of the final code; the tuner since session 29 + chunk_attention's `tma`): benches/tune.sh with BUDGETS="0.2:8" (a
# descent at that budget, refereed and compared by tune_compare.py) on a fresh machine; descent now runs after both exhaustive runs (first time on the GPU).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30a/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c5; rm -rf $o; mkdir -p $o
BUDGETS="0.2:8" TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 540 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c5.tgz -C /tmp c5
