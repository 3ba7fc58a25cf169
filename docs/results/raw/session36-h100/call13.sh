# Session 36, call 13: issue 5's figures on build s36h (8-bit verify logits; = main after this
# session's commits): every family tuned afresh, each policy refined, then `sdec bench decode` at
# 128K; as session 35 call 9 (4 candidates for full and lychee, 3 for SpecAttn).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader
o=/tmp/c13; rm -rf $o; mkdir -p $o
S=/tmp/b/sdec; mkdir -p /tmp/b; gunzip -c .carry/s36h/sdec.gz > $S && chmod +x $S
CANDIDATES=4 SPEC_CANDIDATES=3 SPEC=1 SDEC=$S timeout 560 bash benches/figures_128k.sh $o/fig
echo "figures exit $?"; grep -A3 "SpecAttn rounds" $o/fig/decode.txt | tail -2
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz && rm -rf $o/fig/tune
tar czf $OUT/c13.tgz -C /tmp c13
