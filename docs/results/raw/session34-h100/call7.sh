# Session 34, call 7 (build s34d = ebfe855): issue 5's figures again, each policy's refinement with
# one more candidate an entry (CANDIDATES=4 for `full` and `lychee`, SPEC_CANDIDATES=3), every
# family tuned afresh.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c7; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34d/sdec.gz > $b/sdec && chmod +x $b/sdec
CANDIDATES=4 SPEC_CANDIDATES=3 SPEC=1 SDEC=$b/sdec timeout 540 bash benches/figures_128k.sh $o/fig
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c7.tgz -C /tmp c7
