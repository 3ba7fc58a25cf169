#!/usr/bin/env bash
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out
rm -rf /tmp/ab && mkdir -p /tmp/ab && tar xzf .carry/tune/tb.tgz -C /tmp/ab && tar xzf .carry/tune/tnew-s10.tgz -C /tmp/ab
FAMILIES= ROUNDS=2 POLICIES="full lychee:heads=docs/results/llama8b-heads-9pct.json specattn" benches/decode_ab.sh .carry/b/sdec /tmp/ab/tb .carry/n/sdec /tmp/ab/tnew $out
for f in $out/decode-*.md; do echo "$f $(grep -E '^\| 1 \| 130812 \| 6' $f | cut -d'|' -f5-8)"; done
