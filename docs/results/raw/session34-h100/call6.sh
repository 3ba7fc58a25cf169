# Session 34, call 6 (build s34d = ebfe855, with `refined_by`: each policy launches its own refined
# choices): issue 5's figures with every family tuned afresh (SPEC=1 benches/figures_128k.sh).
# In call 5 SpecAttn's refinement, run last, changed entries `full` shares (`decode_attention`
# b1-ctx128k among them), and `full` measured 11.361 ms against 10.975 in its own refinement.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c6; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34d/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec timeout 560 bash benches/figures_128k.sh $o/fig
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c6.tgz -C /tmp c6
