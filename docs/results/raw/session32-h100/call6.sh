# Session 32, call 6 (build s32e, as call 5, and s32t: the GPU test binaries of the same code, be5f28a):
# the GPU tests, then benches/tune.sh again (a second sample of call 5's figures).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c6; rm -rf $o; mkdir -p $o
for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s32t/$t.gz > benches/$t && chmod +x benches/$t; done && bash benches/gpu_tests.sh $o/tests; echo "gpu_tests.sh exit $?"
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32e/sdec.gz > $b/sdec && chmod +x $b/sdec
TUNE_BUDGET_S=150 SDEC=$b/sdec timeout 400 bash benches/tune.sh $o > $o/run.txt 2>&1
echo "tune.sh exit $?"; cat $o/commands.txt; sed -n '/## Time/,$p' $o/summary.md | grep -E "NO|within|differs|s =|exhaustive:|descent:|compiling"
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c6.tgz -C /tmp c6
