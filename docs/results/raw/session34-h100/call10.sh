# Session 34, call 10: the verification's seven-row products (tensor-core `linear`, launched
# plainly after `chunk_combine`) with a preferred carveout of 0% shared memory (most L1 for their
# 114-401 KB of inputs) against the driver's choice: build s34f = 09da238 + tc-carveout.diff
# (SDEC_TC_CARVEOUT), call 7's refined cache re-keyed, SpecAttn b1 rounds alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c10; rm -rf $o; mkdir -p $o/base $o/wrap
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34f/sdec.gz > $b/sdec-f && chmod +x $b/sdec-f
gunzip -c docs/results/raw/session34-h100/call7/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec-f $o/base $o/tune || exit 1
printf '#!/bin/sh\nexec %s "$@"\n' $b/sdec-f > $o/wrap/driver; printf '#!/bin/sh\nSDEC_TC_CARVEOUT=0 exec %s "$@"\n' $b/sdec-f > $o/wrap/l1; chmod +x $o/wrap/*
FAMILIES="" BATCH=1 ROUNDS=3 STEPS=32 POLICIES="specattn" timeout 400 bash benches/decode_ab.sh $o/wrap/driver $o/tune $o/wrap/l1 $o/tune $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$f $(grep '^| 1 |' $f)"; done
rm -rf $o/tune/cubin $o/base; tar czf $OUT/c10.tgz -C /tmp c10
