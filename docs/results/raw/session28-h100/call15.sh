# Session 28, call 15 (build s28d, the final code): the tuner's figures (benches/tune.sh) on the
# grown spaces (decode_attention `mma` 3, the b2 verification): exhaustive, descent, exhaustive
# again, a repeat that must do nothing, the referee.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s28d/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c15; rm -rf $o; mkdir -p $o
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 560 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; cat $o/summary.md 2>/dev/null | head -40
for c in $o/cache-*; do gzip -c $c/tune.json > $o/$(basename $c).tune.json.gz 2>/dev/null; done
rm -rf $o/cache-*; tar czf $OUT/c15.tgz -C /tmp c15
