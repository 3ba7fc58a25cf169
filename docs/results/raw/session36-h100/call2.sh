# Session 36, call 2: build s36c = s36b with the selection's codes turned into floats by a byte
# permute instead of a conversion (call 1: the conversion shares the slow unit with exp2, and the
# selection took 0.277 ms against 0.241). (1) sdec fuzz of spec; (2) SpecAttn b1 128K, s36a (main) against s36c on the
# same winners (benches/same_winners_ab.sh).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/c2; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in a c; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-c fuzz --family spec --cases 1500 --seed 3603 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -1 $o/fuzz-spec.txt
BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 280 bash benches/same_winners_ab.sh \
    docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-a $b/sdec-c /tmp/c2ab
echo "ab exit $?"; cp -r /tmp/c2ab/ab $o/ab
