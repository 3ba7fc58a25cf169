# Session 33, call 3 (build s32f = 967d8d0, whose GPU paths are main's): every family tuned afresh,
# `full` and `lychee` refined at 128K b1 (benches/figures_128k.sh's recipe without SpecAttn), then
# CUPTI kernel timelines of one decode step of each (benches/cupti_trace/run.sh): where `lychee`'s
# attention layers spend their time beside `full`'s dense ones.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32f/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c3; rm -rf $o; mkdir -p $o/tune
export SDEC_TUNE_DIR=$o/tune
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
timeout 230 $b/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune exit $?"
for p in full "$lychee"; do timeout 100 $b/sdec tune --refine "$p" > $o/refine-${p%%:*}.txt 2>&1; echo "refine ${p%%:*} exit $?"; grep 'a step with' $o/refine-${p%%:*}.txt; done
for p in full "$lychee"; do
    TAG=${p%%:*} SDEC=$b/sdec timeout 120 bash benches/cupti_trace/run.sh $o/trace "$p" 1 128k > $o/trace-${p%%:*}.txt 2>&1
    echo "trace ${p%%:*} exit $?"; head -12 $o/trace-${p%%:*}.txt
    python3 benches/cupti_trace/layers.py $o/trace/step-b1-${p%%:*}.csv 20 100
done
rm -rf $o/tune/cubin; gzip $o/trace/*.csv; rm -f $o/trace/libsdec_trace.so; tar czf $OUT/c3.tgz -C /tmp c3
