# Session 36, call 5: build s36g, the codes in blocks of 128 tokens ([rows][128] codes, then
# [rows][4] unit maxes) so that the selection's warp reads a row's 128 codes as one line and
# their maxes as 16 bytes (blocks of one unit: each load touched 4 lines for the codes and 4 for
# the maxes; calls 1-4); 4 tokens a thread again. (1) sdec fuzz of spec and chunk_attention;
# (2) SpecAttn b1 128K, s36a (main) against s36g on the same winners.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader
o=$OUT/c5; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in a g; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-g fuzz --family spec --cases 1500 --seed 3607 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -1 $o/fuzz-spec.txt
timeout 100 $b/sdec-g fuzz --family chunk_attention --cases 300 --seed 3608 > $o/fuzz-chunk.txt 2>&1; echo "fuzz chunk exit $?"; tail -1 $o/fuzz-chunk.txt
BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 200 bash benches/same_winners_ab.sh \
    docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-a $b/sdec-g /tmp/c5ab
echo "ab exit $?"; cp -r /tmp/c5ab/ab $o/ab
