#!/usr/bin/env bash
# sdec tune --refine on the final build's cache: full at b2 and b1 (128K), then lychee b1.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out
rm -rf /tmp/rf && mkdir -p /tmp/rf && tar xzf .carry/tune/tnew-s10.tgz -C /tmp/rf && cp -r /tmp/rf/tnew /tmp/rf/refined
S=.carry/n/sdec
for b in 2 1; do
  start=$(date +%s)
  $S tune --cache /tmp/rf/refined --refine full --refine-batch $b --refine-candidates ${CANDS:-2} --refine-steps ${RSTEPS:-16} --json $out/refine-full-b$b.json > $out/refine-full-b$b.md 2> $out/refine-full-b$b.log
  echo "full b$b: rc $? in $(( $(date +%s) - start )) s"; cat $out/refine-full-b$b.md | cut -c1-400
done
tar czf $out/refined.tgz -C /tmp/rf refined
