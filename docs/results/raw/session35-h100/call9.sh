# Session 35, call 9: issue 5's figures on main's code (3930641, build s35h: every family tuned
# afresh, each policy refined, then `sdec bench decode` at 128K), another machine's sample;
# as session 34 call 12 (4 candidates for full and lychee, 3 for SpecAttn).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o
S=/tmp/b/sdec; mkdir -p /tmp/b; gunzip -c .carry/s35h/sdec.gz > $S && chmod +x $S
CANDIDATES=4 SPEC_CANDIDATES=3 SPEC=1 SDEC=$S timeout 560 bash benches/figures_128k.sh $o/fig
echo "figures exit $?"; grep -A3 "SpecAttn rounds" $o/fig/decode.txt | tail -2
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz && rm -rf $o/fig/tune
tar czf $OUT/c9.tgz -C /tmp c9
