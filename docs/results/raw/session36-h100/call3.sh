# Session 36, call 3: build s36d = s36c with the selection's decode in one FMA (the code as byte 1
# of 0x3f80'0000, no compare: code 255 decodes as 255 steps below the unit's max; masked tokens
# are skipped by position). Call 2: s36c's selection still took 0.261 ms against fp16's 0.242,
# bound by instructions (PRMT, FADD, FSETP, FSEL per code). (1) sdec fuzz of spec and
# chunk_attention; (2) SpecAttn b1 128K, s36a (main) against s36d on the same winners.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/c3; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in a d; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-d fuzz --family spec --cases 1500 --seed 3604 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -1 $o/fuzz-spec.txt
timeout 100 $b/sdec-d fuzz --family chunk_attention --cases 300 --seed 3605 > $o/fuzz-chunk.txt 2>&1; echo "fuzz chunk exit $?"; tail -1 $o/fuzz-chunk.txt
BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 280 bash benches/same_winners_ab.sh \
    docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-a $b/sdec-d /tmp/c3ab
echo "ab exit $?"; cp -r /tmp/c3ab/ab $o/ab
