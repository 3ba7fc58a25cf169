# Session 28, call 9 (build s28d = s28b + decode_attention with the gather family's TMA path,
# mma = 3). Issue 5's figures as benches/figures_128k.sh makes them.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c9; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s28d/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec bash benches/figures_128k.sh $o/fig
grep -E "b[12]-q7-ctx128k" $o/fig/tune-all.txt | cut -c1-200
grep "chunk_attention" $o/fig/refine-specattn.txt | cut -c1-300
grep -A4 "SpecAttn rounds" $o/fig/decode.txt
rm -rf $o/fig/tune/cubin; tar czf $OUT/c9.tgz -C /tmp c9
grep -E "decode_attention" $o/fig/tune-all.txt | cut -c1-200
