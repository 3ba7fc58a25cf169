# Session 35, call 5: what half the verify pass's logit bytes cost (a probe, build s35d:
# store_logits writes the first 32 of each row's 64-byte run, half-logits-probe.diff; the
# selection then reads half stale logits, so only the timing means anything): the write
# pattern of 8-bit logits, against s35a (main), the same winners, SpecAttn b1 128K, alternating.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c5; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; for v in a d; do gunzip -c .carry/s35$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
for v in a d; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
FAMILIES="" BATCH=1 ROUNDS=3 STEPS=48 POLICIES="specattn" timeout 300 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-d $o/tune-d $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$(basename $f) $(grep -A3 'SpecAttn rounds' $f | tail -1)"; done
rm -rf $o/tune-* $o/base; tar czf $OUT/c5.tgz -C /tmp c5
