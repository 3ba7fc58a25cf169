# Session 29, call 1: chunk_attention with ldmatrix fragments (s29a) against session 28's final
# build (s28d): the family fuzzed, then tuned exhaustively by each build (standard shapes).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o/b
for b in s28d s29a; do gunzip -c .carry/$b/sdec.gz > $o/b/$b && chmod +x $o/b/$b; done
$o/b/s29a fuzz --family chunk_attention --cases 600 --seed 29 > $o/fuzz-chunk.txt 2>&1; tail -n 2 $o/fuzz-chunk.txt
$o/b/s29a fuzz --family spec --cases 200 --seed 29 > $o/fuzz-spec.txt 2>&1; tail -n 1 $o/fuzz-spec.txt
i=0
for b in s28d s29a s28d s29a; do
  i=$((i + 1))
  $o/b/$b tune --family chunk_attention --strategy exhaustive --cache $o/cache-$i > $o/tune-$i-$b.md 2>$o/tune-$i-$b.log
  echo "== $i $b"; grep -E "^\| chunk_attention" $o/tune-$i-$b.md | cut -c1-160
done
rm -rf $o/cache-*/cubin; tar czf $OUT/c1.tgz --exclude=c1/b -C /tmp c1
