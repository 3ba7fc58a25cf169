# Session 30, call 2 (build s30a = main a3ecad6: chunk_attention's TMA path). Issue 5's figures as
# benches/figures_128k.sh makes them (every family tuned afresh, refined for full, lychee and
# SpecAttn, then the 128K decode bench at batch 1 and 2).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c2; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30a/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec bash benches/figures_128k.sh $o/fig
grep -E "chunk_attention" $o/fig/tune-all.txt | cut -c1-200
grep "chunk_attention" $o/fig/refine-specattn.txt | cut -c1-300
grep -A4 "SpecAttn rounds" $o/fig/decode.txt
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c2.tgz -C /tmp c2
