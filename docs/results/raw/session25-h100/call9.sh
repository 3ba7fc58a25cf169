#!/usr/bin/env bash
# Session 25 call 9: how much of SpecAttn's draft gather is reading. The final build (.carry/s25f)
# against a probe build (.carry/s25p, probe-no-compute.diff: the `mma` = 2 ring copies and waits
# for every tile but computes nothing — wrong results, timing only), each tuning the draft gather
# and LycheeDecode's all-sparse gather alone (tune.json keeps every configuration's time).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o
for b in s25f s25p; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
for r in 1 2; do for b in s25f s25p; do
  timeout 120 /tmp/$b/sdec tune --family gather_attention --shapes b1-ctx128k-specattn,b1-ctx128k-lychee-sparse --cache $o/cache-$b-$r > $o/gather-$b-$r.txt 2>&1
  echo "$b round $r rc $?"; grep "b1-ctx" $o/gather-$b-$r.txt | cut -d'|' -f3-6
done; done
rm -rf $o/cache-*/cubin; tar czf $OUT/c9.tgz -C /tmp c9
