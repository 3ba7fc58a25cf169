#!/usr/bin/env bash
# Session 25 call 1: (a) session 24's call 14 — the linear fuzz case that failed on branch mma-pdl
# (seed 2413, case 99) on the main build (.carry/s25m) and the branch build (.carry/s24h), twice;
# (b) branch linear-hoist (.carry/s25h): linear fuzz, 400 cases; (c) the b1 projections timed alone
# by the tuner, main against linear-hoist, each into its own cache, alternated twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o
for b in s25m s25h s24h; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
for r in 1 2; do for b in s25m s24h; do
  echo "$b run $r: $(timeout 20 /tmp/$b/sdec fuzz --family linear --seed 2413 --case 99 2>&1 | grep -E 'FAIL|passed' | head -2 | tr '\n' ' ')"
done; done
timeout 120 /tmp/s25h/sdec fuzz --family linear --cases 400 --seed 2501 > $o/fuzz-hoist.txt 2>&1; echo "hoist fuzz rc $?: $(tail -1 $o/fuzz-hoist.txt)"
shapes=llama8b-b1-qkv,llama8b-b1-o,llama8b-b1-gate-up,llama8b-b1-down
for r in 1 2; do for b in s25m s25h; do
  timeout 60 /tmp/$b/sdec tune --family linear --shapes $shapes --cache $o/cache-$b-$r > $o/linear-$b-$r.txt 2>&1
  echo "$b round $r rc $?"; grep "llama8b" $o/linear-$b-$r.txt | cut -d'|' -f3-6
done; done
rm -rf $o/cache-*/cubin; tar czf $OUT/c1.tgz -C /tmp c1
