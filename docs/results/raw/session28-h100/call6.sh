# Session 28, call 6 (build s28b: the standard preset tunes the b2 7-row verification, and
# chunk_attention declares split_tokens 4096 first; spec_tokens without gamma; StepGraph::run
# launches through `launch`). Issue 5's figures as benches/figures_128k.sh makes them, then
# dense decode b1 inside CUDA graphs beside SDPA in graphs.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c6; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s28b/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec bash benches/figures_128k.sh $o/fig
grep -E "b[12]-q7-ctx128k" $o/fig/tune-all.txt | cut -c1-200
grep "chunk_attention" $o/fig/refine-specattn.txt | cut -c1-300
grep -A4 "SpecAttn rounds" $o/fig/decode.txt
rm -rf $o/fig/tune/cubin; tar czf $OUT/c6.tgz -C /tmp c6
LAUNCH=graph SHAPE="b1 32q" SDEC=$b/sdec timeout 120 bash benches/kernels.sh $o/decode-graph decode_attention > $o/decode-graph.log 2>&1
echo "decode graph rc $?"; grep -E "^\||SMs" $o/decode-graph/table.md | cut -c1-150
tar czf $OUT/c6.tgz -C /tmp c6
