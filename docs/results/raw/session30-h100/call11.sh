# Session 30, call 11 (build s30d: the final code, chunk_attention's `tma` declared 1 first): benches/tune.sh with BUDGETS="0.2:8" (a
# descent at that budget, refereed and compared by tune_compare.py) (the machine warm from calls 6-10).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30d/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c11; rm -rf $o; mkdir -p $o
BUDGETS="0.2:8" TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 540 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c11.tgz -C /tmp c11
