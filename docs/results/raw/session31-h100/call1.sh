# Session 31, call 1 (build s31a): gather_attention's `mma` = 3 copies a scattered unit's rows by
# one-row TMA boxes (was cp.async a lane). The gather and decode families fuzzed, then the gather
# family tuned exhaustively on the standard shapes (every configuration verified first).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o/b
gunzip -c .carry/s31a/sdec.gz > $o/b/sdec && chmod +x $o/b/sdec
$o/b/sdec fuzz --family gather_attention --cases 600 --seed 3101 > $o/fuzz-gather.txt 2>&1; tail -n 4 $o/fuzz-gather.txt
$o/b/sdec fuzz --family decode_attention --cases 150 --seed 3102 > $o/fuzz-decode.txt 2>&1; tail -n 2 $o/fuzz-decode.txt
$o/b/sdec tune --family gather_attention --strategy exhaustive --cache $o/cache > $o/tune.md 2>$o/tune.log
grep -E "^\| gather_attention" $o/tune.md | cut -c1-200
gzip -c $o/cache/tune.json > $o/tune-gather.json.gz
rm -rf $o/cache; tar czf $OUT/c1.tgz --exclude=c1/b -C /tmp c1
