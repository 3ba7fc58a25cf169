#!/usr/bin/env bash
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out /tmp/v
[ -d /tmp/v/tn ] || tar xzf .carry/tune/variants.tgz -C /tmp/v
SDEC=.carry/n/sdec benches/decode_128k.sh /tmp/v/tn $out > $out/log.txt 2>&1
grep -E "tune wall|^\| [a-z]|^\| 1 " $out/log.txt | cut -c1-150
tar czf $out/tn-full.tgz -C /tmp/v tn
