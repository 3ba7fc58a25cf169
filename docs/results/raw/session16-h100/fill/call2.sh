#!/usr/bin/env bash
# Session 16 call 2 (same machine as call 1, /tmp/t16 = call 1's fresh tune): benches/refine_128k.sh
# on it (full b2, full b1, lychee b1, lychee b2, specattn b1; two candidates an entry), then the
# 128K decode on the refined cache; both folders packed into one file (the tool returns few files).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
ls /tmp/t16 | head -3 || exit 3
mkdir -p /tmp/r16
SDEC=.carry/s16a/sdec timeout 560 benches/refine_128k.sh /tmp/t16 /tmp/r16
tar czf $OUT/refine.tgz -C /tmp r16 t16
