#!/usr/bin/env bash
# Session 25 call 4: the tensor-core path of `linear` with each warp's first step of weights
# loaded before the RMSNorm prologue and the loop as before (s25d, D), against main after
# linear-hoist (s25h, A): linear fuzz of D (400 cases, and seed 2413 case 99 with the fixed
# bound), then the b7 and b2 products timed alone by the tuner, A / D alternated twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c4; rm -rf $o; mkdir -p $o
for b in s25h s25d; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
timeout 20 /tmp/s25d/sdec fuzz --family linear --seed 2413 --case 99 2>&1 | tail -1
timeout 150 /tmp/s25d/sdec fuzz --family linear --cases 400 --seed 2504 > $o/fuzz-d.txt 2>&1; echo "D fuzz rc $?: $(tail -1 $o/fuzz-d.txt)"
grep -E "FAIL" $o/fuzz-d.txt | head -3
shapes=llama8b-b7-qkv,llama8b-b7-o,llama8b-b7-gate-up,llama8b-b7-down,llama8b-b7-lm-head
for r in 1 2; do for b in s25h s25d; do
  timeout 90 /tmp/$b/sdec tune --family linear --shapes $shapes --cache $o/cache-$b-$r > $o/linear-$b-$r.txt 2>&1
  echo "$b round $r rc $?"; grep "llama8b" $o/linear-$b-$r.txt | cut -d'|' -f3-6
done; done
rm -rf $o/cache-*/cubin; tar czf $OUT/c4.tgz -C /tmp c4
