# Session 35, call 8: 8-bit logits' write pattern (a probe, build s35g, packed-half-probe.diff:
# half of every row's bytes, tile-major and packed, [head][t / 32][rows][16 halves], so a warp's
# 16 rows of a 32-token unit are 512 contiguous bytes; the selection reads stale logits, so only
# the timing means anything) against s35a (main), the same winners, SpecAttn b1 128K.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c8; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; for v in a g; do gunzip -c .carry/s35$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
for v in a g; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
FAMILIES="" BATCH=1 ROUNDS=3 STEPS=48 POLICIES="specattn" timeout 300 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-g $o/tune-g $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$(basename $f) $(grep -A3 'SpecAttn rounds' $f | tail -1)"; done
rm -rf $o/tune-* $o/base; tar czf $OUT/c8.tgz -C /tmp c8
