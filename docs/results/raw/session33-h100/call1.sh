# Session 33, call 1 (build s33b = s33a + the tuner verifying mma 2 at its own input width; s33a: `linear` mma = 2, rows streamed by a whole CTA with the inputs in
# registers): benches/linear_micro at the verification's seven rows beside the tensor-core path, b1
# and cuBLAS (every configuration checked against NumPy first), then `sdec fuzz --family linear`
# (500 cases; s33a passed 3000 of seed 3301, all 60 configurations drawn) and the tuner on the linear family.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33b/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c1; rm -rf $o; mkdir -p $o
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 300 python3 benches/linear_micro/run.py --runs 40 --shapes b7-gate-up,b7-qkv,b7-o,b7-lm-head,b2-o,b1-gate-up,b1-o --json $o/micro.json cur=- > $o/micro.txt 2>&1
echo "micro exit $?"; grep -E "WRONG|candidates|copy|best per|^  " $o/micro.txt
timeout 150 $b/sdec fuzz --family linear --cases 500 --seed 3302 > $o/fuzz.txt 2>&1
echo "fuzz exit $?"; tail -3 $o/fuzz.txt; grep -c '"mma":2' $o/fuzz.txt
export SDEC_TUNE_DIR=$o/tune
timeout 120 $b/sdec tune --family linear > $o/tune-linear.txt 2>&1
echo "tune exit $?"; grep -E "b7|b2-o|b1-gate" $o/tune-linear.txt
rm -rf $o/tune/cubin; tar czf $OUT/c1.tgz -C /tmp c1
