# Session 34, call 13 (the final code, build s34g): a second sample of issue 5's figures, with the
# recipe's default refinement (3 candidates an entry, 2 for SpecAttn), every family tuned afresh.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c13; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34g/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec timeout 540 bash benches/figures_128k.sh $o/fig
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c13.tgz -C /tmp c13
