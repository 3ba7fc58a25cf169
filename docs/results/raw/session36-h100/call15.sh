# Session 36, call 15: where a SpecAttn round's time goes on build s36h with call 13's tuned cache:
# CUPTI kernel timeline (b1 128K, PASSES=7: six draft steps and the verification), and each
# kernel name's total time in a round, for the draft steps' gap to their byte floor (1.08×).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c15; rm -rf $o; mkdir -p $o/tune
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s36h/sdec.gz > $b/sdec-h && chmod +x $b/sdec-h
gunzip -c docs/results/raw/session36-h100/call13/fig/tune-all.json.gz > $o/tune/tune.json
SDEC_TUNE_DIR=$o/tune PASSES=7 TAG=spec SDEC=$b/sdec-h timeout 200 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/summary.txt 2>&1
echo "trace exit $?"; head -60 $o/summary.txt
gzip $o/trace/*.csv; rm -rf $o/tune $o/trace/*.so; tar czf $OUT/c15.tgz -C /tmp c15
