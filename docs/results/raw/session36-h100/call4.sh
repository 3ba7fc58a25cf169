# Session 36, call 4: the selection's reader with more tokens a thread (`spec` family parameter
# `tokens`, its first value the runtime's default): s36e = 16 (one 16-byte load of codes per row
# and head), s36f = 8; s36d (call 3) had 4 and issued only ~8 loads before their first use.
# (1) sdec fuzz of spec (every `tokens`); (2) SpecAttn b1 128K, s36a (main) against s36e, then
# against s36f, on the same winners.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/c4; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in a e f; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-e fuzz --family spec --cases 1500 --seed 3606 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -1 $o/fuzz-spec.txt
for v in e f; do
    BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 200 bash benches/same_winners_ab.sh \
        docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-a $b/sdec-$v /tmp/c4ab-$v
    echo "ab $v exit $?"; cp -r /tmp/c4ab-$v/ab $o/ab-$v
done
