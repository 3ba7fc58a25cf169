# Session 34, call 12 (the final code: build s34g = s34e = 09da238, whose sdec is main's; s34u: the GPU
# test binaries of 902d9d8): the GPU tests, `sdec check --model synthetic:tiny` of every policy the
# check serves (eager and graph), then issue 5's figures with every family tuned afresh and each
# policy refined on its own (CANDIDATES=4, SPEC_CANDIDATES=3, as call 7).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c12; rm -rf $o; mkdir -p $o
for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s34u/$t.gz > benches/$t && chmod +x benches/$t; done && bash benches/gpu_tests.sh $o/tests; echo "gpu_tests.sh exit $?"
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34g/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 100 $b/sdec check --model synthetic:tiny --policy full --policy lychee --policy tidal --policy quest --policy lfps --policy streaming --graph > $o/check.txt 2>&1
echo "check exit $?"; grep -cE "^PASS" $o/check.txt; grep -E "^FAIL" $o/check.txt
CANDIDATES=4 SPEC_CANDIDATES=3 SPEC=1 SDEC=$b/sdec timeout 440 bash benches/figures_128k.sh $o/fig
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c12.tgz -C /tmp c12
