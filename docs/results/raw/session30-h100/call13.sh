# Session 30, call 13 (build s30f = bbd73ba, the final code): the GPU test binaries, and
# chunk_attention fuzzed again in its final declaration order (`tma` 1 first).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c13; rm -rf $o; mkdir -p $o/tests
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30f/sdec.gz > $b/sdec && chmod +x $b/sdec
$b/sdec fuzz --family chunk_attention --cases 400 --seed 3013 > $o/fuzz-chunk.txt 2>&1; tail -n 2 $o/fuzz-chunk.txt
cp .carry/s30f/gpu_* benches/ && bash benches/gpu_tests.sh $o/tests
tar czf $OUT/c13.tgz -C /tmp c13
