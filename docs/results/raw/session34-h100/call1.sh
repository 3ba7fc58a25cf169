# Session 34, call 1: `combine` letting the o projection launch once its wait returns (build s34b)
# against main (s34a), both on session 33's refined cache (call 10's tune.json, re-keyed to each
# build's source hashes by benches/cache_variant.py --rekey: the same winners for both), builds
# alternating (benches/decode_ab.sh); first the step check of the new build (eager and graph).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c1; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b
for v in a b; do gunzip -c .carry/s34$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
mkdir -p $o/base && gunzip -c docs/results/raw/session33-h100/call10/tune-all.json.gz > $o/base/tune.json
for v in a b; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
SDEC_TUNE_DIR=$o/tune-b timeout 120 $b/sdec-b check --model synthetic:tiny --policy full --policy lychee --policy tidal --graph > $o/check-b.txt 2>&1
echo "check exit $?"; grep -cE "^PASS" $o/check-b.txt; grep -E "^FAIL" $o/check-b.txt
FAMILIES="" BATCH=1 ROUNDS=2 STEPS=48 POLICIES="full lychee:heads=docs/results/llama8b-heads-9pct.json specattn" \
    timeout 420 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-b $o/tune-b $o/ab
echo "ab exit $?"
rm -rf $o/tune-*/cubin $o/base; tar czf $OUT/c1.tgz -C /tmp c1
