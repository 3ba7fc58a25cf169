# Session 29, call 5 (build s29b = main): decode_attention and gather_attention tuned exhaustively,
# then by descent, their caches kept (gzipped) to replay why descent misses the `mma` 3 winners
# of decode b1-ctx128k and gather b8-ctx128k-4096in64-dense2 (calls 2-4).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s29b/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c5; rm -rf $o; mkdir -p $o
for s in exhaustive descent; do
  $b/sdec tune --family decode_attention,gather_attention --strategy $s --cache $o/cache-$s --json $o/$s.json > $o/$s.md 2> $o/$s.log
  echo "$s exit $?"; tail -n 2 $o/$s.md
done
$b/sdec tune --family decode_attention,gather_attention --cache $o/cache-exhaustive --referee $o/cache-descent > $o/referee.md 2>&1
grep -E "b1-ctx128k \||in64-dense2" $o/referee.md | cut -c1-200
for s in exhaustive descent; do gzip -c $o/cache-$s/tune.json > $o/tune-$s.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c5.tgz -C /tmp c5
