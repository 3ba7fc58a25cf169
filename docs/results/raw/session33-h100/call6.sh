# Session 33, call 6 (build s33e = s33c + `tune --refine` timing its sub-margin candidates together at
# the end, keeping them all when together they beat the margin): the attention families fuzzed
# again (150 cases), then issue 5's figures as benches/figures_128k.sh makes them (every family
# tuned afresh, refined for full, lychee and SpecAttn, the 128K decode bench at batch 1 and 2).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c6; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33e/sdec.gz > $b/sdec && chmod +x $b/sdec
timeout 100 $b/sdec fuzz --family decode_attention --family gather_attention --family chunk_attention --cases 150 --seed 3306 > $o/fuzz.txt 2>&1
echo "fuzz exit $?"; tail -4 $o/fuzz.txt
SPEC=1 SDEC=$b/sdec timeout 480 bash benches/figures_128k.sh $o/fig
grep -A4 "SpecAttn rounds" $o/fig/decode.txt; grep -h "sub-margin" $o/fig/refine-*.txt
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c6.tgz -C /tmp c6
