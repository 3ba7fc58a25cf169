# Session 33, call 9 (build s33g = s33f + the same on CUDA cores (batch 1-2): the RMSNorm factored out
# of the product, each warp summing the squares of the x it loads itself, no CTA prologue and no
# barrier before the products): benches/linear_micro before/after (.carry/s33g/linear-old.cu is
# c795c37's linear.cu), `sdec fuzz --family linear`, then SPEC=1 benches/figures_128k.sh.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33g/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 150 python3 benches/linear_micro/run.py --runs 30 --shapes b1-gate-up,b1-qkv,b1-lm-head,b1-o,b2-o --json $o/micro.json \
    new=-:MMA=0 old=.carry/s33g/linear-old.cu:MMA=0 > $o/micro.txt 2>&1
echo "micro exit $?"; grep -E "WRONG|candidates|copy|best per|^  " $o/micro.txt
timeout 80 $b/sdec fuzz --family linear --cases 1000 --seed 3309 > $o/fuzz.txt 2>&1
echo "fuzz exit $?"; tail -2 $o/fuzz.txt
SPEC=1 SDEC=$b/sdec timeout 400 bash benches/figures_128k.sh $o/fig
grep -h "sub-margin" $o/fig/refine-*.txt | grep -v "^refine:"
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c9.tgz -C /tmp c9
