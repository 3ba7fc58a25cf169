# Session 30, call 14 (build s30g = s30f + the exhaustive strategy's confirmation also re-times
# up to 6 configurations at the choice window's edge: declared before the fastest, within 6% of
# it): benches/tune.sh — do two exhaustive runs agree more often?
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30g/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c14; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 540 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling|agree|chose"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c14.tgz -C /tmp c14
