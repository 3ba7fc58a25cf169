# Session 36, call 1: build s36b (SpecAttn's verify logits in 8 bits: kernels-gen/src/logit_codes.rs,
# the store in chunk_attention.cu, the reader in spec.cu) against s36a (main ad54b47).
# (1) sdec fuzz of spec and chunk_attention (s36b); (2) benches/final_checks.sh of s36b (GPU
# tests, `sdec check` of six policies); (3) SpecAttn b1 128K, s36a against s36b on session 35
# call 9's winners re-keyed to each build (benches/same_winners_ab.sh).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/c1; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in a b; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-b fuzz --family spec --cases 1500 --seed 3601 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -2 $o/fuzz-spec.txt
timeout 100 $b/sdec-b fuzz --family chunk_attention --cases 300 --seed 3602 > $o/fuzz-chunk.txt 2>&1; echo "fuzz chunk exit $?"; tail -2 $o/fuzz-chunk.txt
timeout 150 bash benches/final_checks.sh .carry/s36b $o/final
BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 280 bash benches/same_winners_ab.sh \
    docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-a $b/sdec-b /tmp/c1ab
echo "ab exit $?"; grep -h "not tuned" /tmp/c1ab/ab/decode-*.md | sort | uniq -c
cp -r /tmp/c1ab/ab $o/ab
