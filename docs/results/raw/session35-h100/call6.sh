# Session 35, call 6: what the verify pass's logit stores cost beside their staging (a probe, build s35e:
# store_logits stages every logit in shared memory as before but stores none, staged-only-probe.diff; the
# selection then reads stale logits, so only the timing means anything): against
# s35a (main), the same winners, SpecAttn b1 128K, alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c6; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; for v in a e; do gunzip -c .carry/s35$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
for v in a e; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
FAMILIES="" BATCH=1 ROUNDS=3 STEPS=48 POLICIES="specattn" timeout 300 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-e $o/tune-e $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$(basename $f) $(grep -A3 'SpecAttn rounds' $f | tail -1)"; done
rm -rf $o/tune-* $o/base; tar czf $OUT/c6.tgz -C /tmp c6
