# Session 35, call 4: the verify pass's logit stores as streaming stores (st.global.cs, build
# s35c: chunk_attention.cu's store_logits with __stcs) against plain stores (s35a = main), the
# same winners (session 34 call 12's cache re-keyed to each build), SpecAttn b1 128K,
# alternating; then the chunk_attention fuzz on s35c (it checks the written logits).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c4; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; for v in a c; do gunzip -c .carry/s35$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
for v in a c; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
FAMILIES="" BATCH=1 ROUNDS=3 STEPS=48 POLICIES="specattn" timeout 300 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-c $o/tune-c $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$(basename $f) $(grep -A3 'SpecAttn rounds' $f | tail -1)"; done
timeout 100 $b/sdec-c fuzz --family chunk_attention --cases 300 --seed 3504 > $o/fuzz-chunk.txt 2>&1; echo "fuzz exit $?"; tail -1 $o/fuzz-chunk.txt
rm -rf $o/tune-* $o/base; tar czf $OUT/c4.tgz -C /tmp c4
