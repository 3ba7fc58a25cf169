#!/usr/bin/env bash
# Session 24 call 9: the GPU test binaries of the kept build (.carry/s24t: gpu_decode, gpu_fuzz,
# gpu_tune), then the b1 projections timed alone by the tuner — session 23's build (.carry/s23f)
# against this one (.carry/s24b) launched plainly (SDEC_LINEAR_PDL=0) and as dependents — each
# into its own cache, the three alternated twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o
bash .carry/s24t/gpu_tests.sh $o/tests
for b in s23f s24b; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
shapes=llama8b-b1-qkv,llama8b-b1-o,llama8b-b1-gate-up,llama8b-b1-down
for r in 1 2; do
  for v in s23f s24b-0 s24b-1; do
    b=${v%-*}; pdl=${v#*-}; [ "$pdl" = "$v" ] && pdl=1
    SDEC_LINEAR_PDL=$pdl timeout 60 /tmp/$b/sdec tune --family linear --shapes $shapes --cache $o/cache-$v-$r > $o/linear-$v-$r.txt 2>&1
    echo "$v round $r rc $?"; grep "llama8b" $o/linear-$v-$r.txt | cut -d'|' -f3-6
  done
done
rm -rf $o/cache-*/cubin; tar czf $OUT/c9.tgz -C /tmp c9
