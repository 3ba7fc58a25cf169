#!/usr/bin/env bash
# Session 25 call 3: the tensor-core path of `linear` (SpecAttn's seven verify rows). Builds:
# s25h = main after linear-hoist (A), s25b = every input load of a step before the first MMA and
# volatile weight loads (B), s25c = B + each warp's first step of weights loaded before the RMSNorm
# prologue (C, with the RoPE'd-q fuzz bound fixed). Linear fuzz of C (400 cases and seed 2413 case
# 99), then the b7 products timed alone by the tuner, A / B / C alternated twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c3; rm -rf $o; mkdir -p $o
for b in s25h s25b s25c; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
timeout 20 /tmp/s25c/sdec fuzz --family linear --seed 2413 --case 99 2>&1 | tail -1
timeout 150 /tmp/s25c/sdec fuzz --family linear --cases 400 --seed 2503 > $o/fuzz-c.txt 2>&1; echo "C fuzz rc $?: $(tail -1 $o/fuzz-c.txt)"
grep -E "FAIL" $o/fuzz-c.txt | head -3
shapes=llama8b-b7-qkv,llama8b-b7-o,llama8b-b7-gate-up,llama8b-b7-down,llama8b-b7-lm-head
for r in 1 2; do for b in s25h s25b s25c; do
  timeout 90 /tmp/$b/sdec tune --family linear --shapes $shapes --cache $o/cache-$b-$r > $o/linear-$b-$r.txt 2>&1
  echo "$b round $r rc $?"; grep "llama8b" $o/linear-$b-$r.txt | cut -d'|' -f3-6
done; done
rm -rf $o/cache-*/cubin; tar czf $OUT/c3.tgz -C /tmp c3
