# Session 30, call 1: chunk_attention's TMA path (s30a): the family fuzzed (every configuration
# drawn, the TMA ones among them), then tuned exhaustively twice on the standard shapes.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o/b
gunzip -c .carry/s30a/sdec.gz > $o/b/sdec && chmod +x $o/b/sdec
$o/b/sdec fuzz --family chunk_attention --cases 800 --seed 3001 > $o/fuzz-chunk.txt 2>&1; tail -n 4 $o/fuzz-chunk.txt
for i in 1 2; do
  $o/b/sdec tune --family chunk_attention --strategy exhaustive --cache $o/cache-$i > $o/tune-$i.md 2>$o/tune-$i.log
  echo "== $i"; grep -E "^\| chunk_attention" $o/tune-$i.md | cut -c1-170
  gzip -c $o/cache-$i/tune.json > $o/tune-$i.json.gz
done
rm -rf $o/cache-*; tar czf $OUT/c1.tgz --exclude=c1/b -C /tmp c1
