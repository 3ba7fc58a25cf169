# Session 31, call 6 (build s31c = s31b + gather_attention's `unroll` also 3 and 6: rings of
# 208 KB a CTA with the cp.async ring, `mma` 2): more bytes in flight for the scattered gathers?
# The gather family fuzzed, then tuned exhaustively on its standard shapes.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c6; rm -rf $o; mkdir -p $o/b
gunzip -c .carry/s31c/sdec.gz > $o/b/sdec && chmod +x $o/b/sdec
$o/b/sdec fuzz --family gather_attention --cases 500 --seed 3106 > $o/fuzz-gather.txt 2>&1; tail -n 2 $o/fuzz-gather.txt
$o/b/sdec tune --family gather_attention --strategy exhaustive --cache $o/cache > $o/tune.md 2>$o/tune.log
grep -E "^\| gather_attention" $o/tune.md | cut -c1-200
gzip -c $o/cache/tune.json > $o/tune-gather.json.gz
rm -rf $o/cache; tar czf $OUT/c6.tgz --exclude=c6/b -C /tmp c6
