#!/usr/bin/env bash
# Session 25 call 10: the CUPTI timeline of a SpecAttn round (as call 8) for the final build
# (.carry/s25f, call 5's cache) and for the probe build (.carry/s25p: the `mma` = 2 ring computes
# nothing; the same cache with gather_attention's source hash set to the probe's, so its draft
# gathers run the same configurations). The probe's outputs are wrong; only its times count.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s25f s25p; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
o=/tmp/c10; rm -rf $o; mkdir -p $o/tune-s25f $o/tune-s25p
gunzip -c docs/results/raw/session25-h100/call5/tune/tune.json.gz > $o/tune-s25f/tune.json
cp .carry/s25p/tune/tune.json $o/tune-s25p/tune.json
for r in 1 2; do for b in s25f s25p; do
  echo "== $b round $r"
  SDEC_TUNE_DIR=$o/tune-$b PASSES=7 TAG=$b-$r SDEC=/tmp/$b/sdec bash benches/cupti_trace/run.sh $o/$b specattn 1 128k 2>&1 | grep -E "^\| 1 |attend|combine|nothing|first embed|not tuned" | head -14
done; done
rm -rf $o/tune-* $o/*/*.so; gzip -9 $o/*/trace-*.csv; tar czf $OUT/c10.tgz -C /tmp c10
