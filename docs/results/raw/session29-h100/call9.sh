# Session 29, call 9 (build s29h = bf3c48a, the final code: s29g with one helper taking kernels from
# the compiles ahead): descent over the standard preset, then exhaustive, then both again on
# their caches (they must compile and time nothing); the GPU test binaries.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b
for f in sdec gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s29h/$f.gz > $b/$f && chmod +x $b/$f; done
o=/tmp/c9; rm -rf $o; mkdir -p $o
for s in descent exhaustive; do
  $b/sdec tune --family all --strategy $s --cache $o/cache-$s --budget-s 200 --json $o/$s.json > $o/$s.md 2> $o/$s.log
  echo "$s exit $?"; tail -n 2 $o/$s.md
  $b/sdec tune --family all --strategy $s --cache $o/cache-$s --budget-s 20 > $o/$s-again.md 2> $o/$s-again.log
  echo "$s again exit $?"; tail -n 1 $o/$s-again.md
done
cp $b/gpu_* benches/; bash benches/gpu_tests.sh $o/gpu
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c9.tgz -C /tmp c9
