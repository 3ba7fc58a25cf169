#!/usr/bin/env bash
# Session 25 call 5: #5's figures on main after linear-hoist and the fuzz bound (.carry/s25f):
# `SPEC=1 benches/figures_128k.sh` (every family tuned, refined for full, lychee and specattn).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=s25f; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
rm -rf /tmp/c5; SPEC=1 SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c5 2>&1 | grep -v -- "---"
grep -iE "round|accept" /tmp/c5/decode.txt | head -5
rm -rf /tmp/c5/tune/cubin; tar czf $OUT/c5.tgz -C /tmp c5
