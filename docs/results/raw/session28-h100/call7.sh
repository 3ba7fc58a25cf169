# Session 28, call 7 (build s28c = s28b + a bench row): dense attention at b1 128K by the gather
# family (every head dense, its filled plans among the configurations) beside decode_attention,
# on the stream and inside CUDA graphs.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/call7; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s28c/sdec.gz > $b/sdec && chmod +x $b/sdec
for mode in stream graph; do
  timeout 100 $b/sdec bench kernels --launch $mode --family decode_attention --shape "b1 32q" --json $o/decode-$mode.json > $o/decode-$mode.md 2>/dev/null
  timeout 150 $b/sdec bench kernels --launch $mode --family gather_attention --shape "8/8 dense" --json $o/gather-$mode.json > $o/gather-$mode.md 2>/dev/null
  grep -E "^\| (decode|gather)" $o/decode-$mode.md $o/gather-$mode.md | cut -c1-220
done
