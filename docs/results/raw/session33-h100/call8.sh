# Session 33, call 8 (build s33f = s33e + `linear`'s tensor-core path with the RMSNorm factored out
# of the product: W (x * gamma) / rms(x), the squares summed from the loads that feed the MMAs, no
# prologue reading x a second time): benches/linear_micro before/after (.carry/s33f/linear-old.cu is
# dc1ea13's linear.cu), `sdec fuzz --family linear`, then SPEC=1 benches/figures_128k.sh.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c8; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33f/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 150 python3 benches/linear_micro/run.py --runs 30 --shapes b7-gate-up,b7-qkv,b7-lm-head,b14-qkv,b7-o --json $o/micro.json \
    new=-:MMA=1 old=.carry/s33f/linear-old.cu:MMA=1 > $o/micro.txt 2>&1
echo "micro exit $?"; grep -E "WRONG|candidates|copy|best per|^  " $o/micro.txt
timeout 80 $b/sdec fuzz --family linear --cases 1500 --seed 3308 > $o/fuzz.txt 2>&1
echo "fuzz exit $?"; tail -2 $o/fuzz.txt
SPEC=1 SDEC=$b/sdec timeout 400 bash benches/figures_128k.sh $o/fig
grep -h "sub-margin" $o/fig/refine-*.txt | grep -v "^refine:"
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c8.tgz -C /tmp c8
