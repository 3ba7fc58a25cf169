# Session 36, call 12: build s36h = s36g with the verify pass's codes rounded by adding 1.5 * 2^23
# (the low mantissa byte) instead of a float-to-integer conversion (F2I: 16 a lane a unit, on the
# exp2's slow unit). (1) sdec fuzz of chunk_attention; (2) SpecAttn b1 128K, s36g against s36h on
# the same winners.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader
o=$OUT/c12; mkdir -p $o
b=/tmp/b; mkdir -p $b; for v in g h; do gunzip -c .carry/s36$v/sdec.gz > $b/sdec-$v && chmod +x $b/sdec-$v; done
timeout 100 $b/sdec-h fuzz --family chunk_attention --cases 300 --seed 3609 > $o/fuzz-chunk.txt 2>&1; echo "fuzz chunk exit $?"; tail -1 $o/fuzz-chunk.txt
BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" timeout 200 bash benches/same_winners_ab.sh \
    docs/results/raw/session35-h100/call9/fig/tune-all.json.gz $b/sdec-g $b/sdec-h /tmp/c12ab
echo "ab exit $?"; cp -r /tmp/c12ab/ab $o/ab
