# Session 34, call 11: as call 10, the tensor-core products' preferred carveout at 100% and 50%
# shared memory against the driver's choice (call 10: 0% made the verification 1.57 ms slower).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c11; rm -rf $o; mkdir -p $o/base $o/wrap
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34f/sdec.gz > $b/sdec-f && chmod +x $b/sdec-f
gunzip -c docs/results/raw/session34-h100/call7/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec-f $o/base $o/tune || exit 1
printf '#!/bin/sh\nexec %s "$@"\n' $b/sdec-f > $o/wrap/driver
for p in 100 50; do printf '#!/bin/sh\nSDEC_TC_CARVEOUT=%s exec %s "$@"\n' $p $b/sdec-f > $o/wrap/cv$p; done; chmod +x $o/wrap/*
for p in 100 50; do
    FAMILIES="" BATCH=1 ROUNDS=2 STEPS=32 POLICIES="specattn" timeout 200 bash benches/decode_ab.sh $o/wrap/driver $o/tune $o/wrap/cv$p $o/tune $o/ab$p > /dev/null
    echo "ab $p exit $?"; for f in $o/ab$p/decode-*.md; do echo "$f $(grep '^| 1 |' $f)"; done
done
rm -rf $o/tune/cubin $o/base; tar czf $OUT/c11.tgz -C /tmp c11
