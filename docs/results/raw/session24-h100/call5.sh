#!/usr/bin/env bash
# Session 24 call 5 (carry .carry/s24b): `linear`'s first step peeled out of its loop, PDL on by
# default. Correctness: the linear fuzz and `sdec check` on synthetic:tiny (eager and graph), and
# the GPU decode tests' policies through `sdec check`.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s24b/sdec; mkdir -p /tmp/s24b && gunzip -c .carry/s24b/sdec.gz > $S && chmod +x $S
o=/tmp/c5; rm -rf $o; mkdir -p $o
timeout 90 $S fuzz --family linear --cases 400 --seed 2402 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
timeout 150 $S check --model synthetic:tiny --policy full --policy lychee --policy tidal --policy quest --policy lfps --policy streaming --graph > $o/check.txt 2>&1; echo "check rc $?"; grep -E "^(PASS|FAIL)" $o/check.txt
tar czf $OUT/c5.tgz -C /tmp c5
