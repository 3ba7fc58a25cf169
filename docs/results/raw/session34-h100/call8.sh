# Session 34, call 8 (build s34d = ebfe855): why the mixed layers' TMA gather with 224 threads (6
# consumer warps) makes `lychee`'s 128K b1 step ~0.36 ms slower than with 160 (4 consumers) when
# alone they time within 2% (call 6's refinement): CUPTI timelines of one step with each, on call
# 7's refined cache (the 224-thread variant by benches/cache_variant.py, its refined choices
# dropped so that the replaced winner runs).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c8; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34d/sdec.gz > $b/sdec && chmod +x $b/sdec
gunzip -c docs/results/raw/session34-h100/call7/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py $o/base $o/t224 'gather_attention:b1-ctx128k-lychee={"fill":1,"mma":3,"split_tokens":1024,"threads":224,"unroll":2}' || exit 1
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for v in base t224; do
    SDEC_TUNE_DIR=$o/$v TAG=$v SDEC=$b/sdec timeout 120 bash benches/cupti_trace/run.sh $o/trace "$lychee" 1 128k > $o/trace-$v.txt 2>&1
    echo "trace $v exit $?"; sed -n 5,6p $o/trace-$v.txt
    python3 benches/cupti_trace/layers.py $o/trace/step-b1-$v.csv 20 100
done
rm -rf $o/base $o/t224; rm -f $o/trace/libsdec_trace.so; gzip $o/trace/*.csv; tar czf $OUT/c8.tgz -C /tmp c8
