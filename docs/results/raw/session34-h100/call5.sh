# Session 34, call 5 (build s34b = 55f4ac4, main's code; s34t: its GPU test binaries): the GPU
# tests and `sdec check --model synthetic:tiny` of every policy the check serves (eager and in a
# graph: `combine` now lets its dependent launch), then issue 5's figures with every family tuned
# afresh (SPEC=1 benches/figures_128k.sh).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c5; rm -rf $o; mkdir -p $o
for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s34t/$t.gz > benches/$t && chmod +x benches/$t; done && bash benches/gpu_tests.sh $o/tests; echo "gpu_tests.sh exit $?"
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34b/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 120 $b/sdec check --model synthetic:tiny --policy full --policy lychee --policy tidal --policy quest --policy lfps --policy streaming --graph > $o/check.txt 2>&1
echo "check exit $?"; grep -cE "^PASS" $o/check.txt; grep -E "^FAIL" $o/check.txt
SPEC=1 SDEC=$b/sdec timeout 380 bash benches/figures_128k.sh $o/fig
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c5.tgz -C /tmp c5
