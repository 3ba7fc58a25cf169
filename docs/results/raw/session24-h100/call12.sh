#!/usr/bin/env bash
# Session 24 call 12 (carry .carry/s24g): the gather family's `mma` = 2 ring filling its first
# tiles before it waits for the q|k|v product (SpecAttn's draft gathers, LycheeDecode's
# all-sparse layers): the gather fuzz, `sdec check` for lychee and tidal (eager and graph), then
# `SPEC=1 benches/figures_128k.sh` (compare call 11, the build before, and call 6).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s24g/sdec; mkdir -p /tmp/s24g && gunzip -c .carry/s24g/sdec.gz > $S && chmod +x $S
o=/tmp/c12; rm -rf $o; mkdir -p $o
timeout 90 $S fuzz --family gather_attention --cases 1500 --seed 2412 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
timeout 60 $S check --model synthetic:tiny --policy lychee --policy tidal --graph > $o/check.txt 2>&1; echo "check rc $?"; grep -cE "^PASS" $o/check.txt
rm -rf /tmp/c12f; SPEC=1 SDEC=$S bash benches/figures_128k.sh /tmp/c12f
rm -rf /tmp/c12f/tune/cubin; tar czf $OUT/c12.tgz -C /tmp c12 c12f
