# Session 35, call 2: build s35b (SpecAttn's selection from K: `spec_score_keys`; the verify
# pass keeps q, writes no logits). (1) benches/final_checks.sh (GPU tests, `sdec check` of six
# policies); (2) `sdec fuzz` of spec and chunk_attention; (3) SpecAttn b1 128K, s35a (main's
# code) against s35b on session 34 call 12's cache re-keyed to each build (for s35b the
# chunk_attention buckets lose their `logits` field, which the shape no longer has: the same
# winners), alternating (benches/decode_ab.sh).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c2; rm -rf $o; mkdir -p $o/base
bash benches/final_checks.sh .carry/s35b $o/final
S=/tmp/final-checks-bin/sdec
timeout 150 $S fuzz --family spec --cases 1500 --seed 3501 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -2 $o/fuzz-spec.txt
timeout 120 $S fuzz --family chunk_attention --cases 300 --seed 3502 > $o/fuzz-chunk.txt 2>&1; echo "fuzz chunk exit $?"; tail -2 $o/fuzz-chunk.txt
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s35a/sdec.gz > $b/sdec-a && chmod +x $b/sdec-a; cp $S $b/sdec-b
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
for v in a b; do python3 benches/cache_variant.py --rekey $b/sdec-$v $o/base $o/tune-$v || exit 1; done
python3 - $o/tune-b/tune.json <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for e in d["entries"]:
    if e["key"]["family"] == "chunk_attention":
        b = json.loads(e["key"]["bucket"]); b.pop("logits", None); e["key"]["bucket"] = json.dumps(b, separators=(",", ":"))
        e["shape"].pop("logits", None)
json.dump(d, open(p, "w"))
PY
FAMILIES="" BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 300 bash benches/decode_ab.sh $b/sdec-a $o/tune-a $b/sdec-b $o/tune-b $o/ab
echo "ab exit $?"; for f in $o/ab/decode-*.md; do echo "$f $(grep -A3 'SpecAttn rounds' $f | tail -1)"; done
grep -h "not tuned" $o/ab/decode-*.md | sort | uniq -c
rm -rf $o/tune-*/cubin $o/base; tar czf $OUT/c2.tgz -C /tmp c2
