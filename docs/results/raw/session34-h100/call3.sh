# Session 34, call 3: CUPTI kernel timelines (with stream ids) of one `full` and one `lychee` step
# at 128K b1 on build s34b with session 33's refined cache (re-keyed), to see where `lychee`'s
# step still loses against `full` after session 33 and call 1, and on which internal streams the
# `lychee` graph's kernels run (the 9.8 µs with no kernel after `embed`).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c3; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34b/sdec.gz > $b/sdec-b && chmod +x $b/sdec-b
mkdir -p $o/base && gunzip -c docs/results/raw/session33-h100/call10/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec-b $o/base $o/tune || exit 1
export SDEC_TUNE_DIR=$o/tune
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json; do
    TAG=${p%%:*} SDEC=$b/sdec-b timeout 120 bash benches/cupti_trace/run.sh $o/trace "$p" 1 128k > $o/trace-${p%%:*}.txt 2>&1
    echo "trace ${p%%:*} exit $?"; head -14 $o/trace-${p%%:*}.txt | tail -11
    python3 benches/cupti_trace/layers.py $o/trace/step-b1-${p%%:*}.csv 20 100
done
rm -rf $o/tune/cubin $o/base; rm -f $o/trace/libsdec_trace.so; gzip $o/trace/*.csv; tar czf $OUT/c3.tgz -C /tmp c3
