#!/usr/bin/env bash
# Session 24 call 13 (branch mma-pdl, carry .carry/s24h): the tensor-core path of `linear` (b2,
# the verification's seven rows) also a dependent that loads its first step before it waits
# and lets the next launch once its weights are read: linear fuzz, then SPEC=1 figures (compare
# call 11, the main build).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s24h/sdec; mkdir -p /tmp/s24h && gunzip -c .carry/s24h/sdec.gz > $S && chmod +x $S
o=/tmp/c13; rm -rf $o; mkdir -p $o
timeout 60 $S fuzz --family linear --cases 300 --seed 2413 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
rm -rf /tmp/c13f; SPEC=1 SDEC=$S bash benches/figures_128k.sh /tmp/c13f
rm -rf /tmp/c13f/tune/cubin; tar czf $OUT/c13.tgz -C /tmp c13 c13f
