# Session 33, call 7 (s33t: the GPU test binaries of dc1ea13, the final code; s33e: its sdec): the
# GPU tests, then `sdec check --model synthetic:tiny` of every policy the check serves, eager and in a
# graph (the merge change is the session's only kernel change).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c7; rm -rf $o; mkdir -p $o
for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s33t/$t.gz > benches/$t && chmod +x benches/$t; done && bash benches/gpu_tests.sh $o/tests; echo "gpu_tests.sh exit $?"
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33e/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 200 $b/sdec check --model synthetic:tiny --policy full --policy lychee --policy tidal --policy quest --policy lfps --policy streaming --graph > $o/check.txt 2>&1
echo "check exit $?"; tail -12 $o/check.txt
tar czf $OUT/c7.tgz -C /tmp c7
