#!/usr/bin/env bash
# Session 18 call 3: SpecAttn's acceptance on the device and its selection's scores in one
# launch (main after 3 commits of this session) against the build before (1a280cd): the spec
# fuzzer, the GPU tests (specattn gives `full`'s tokens, batch 1 and 2), the round at 128K b1
# alternated twice on session 16's refined cache (stale top-k entries retuned for each), a
# traced round (the GPU's idle time), and Nsight Compute on the draft gather (the next lever).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18c
o=/tmp/c3; mkdir -p $o/new $o/old
cp $C/tune.json $o/new/tune.json; cp $C/tune.json $o/old/tune.json
timeout 100 $C/sdec fuzz --family spec --cases 400 --seed 1803 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A2 '^FAIL' $o/fuzz.txt | head -6
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 150 $b tune --family all --budget-s 140 > $o/tune-$v.txt 2>&1
    echo "tune $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
for r in 1 2; do for v in old new; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/spec-$v-$r.json > $o/spec-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -A2 '^| batch' $o/spec-$v-$r.txt | tail -1)"
done; done
SDEC_TUNE_DIR=$o/new SDEC=$C/sdec PASSES=7 timeout 200 benches/cupti_trace/run.sh $o/trace specattn 1 > $o/trace-spec-b1.txt 2>&1
echo "trace exit $?"; grep -E "no kernel running|spec_accept|spec_score|nothing" $o/trace-spec-b1.txt | head -6
rm -f $o/trace/libsdec_trace.so
SDEC=$C/sdec SHAPE="9175 tokens" CONFIG='{"fill":0,"mma":2,"split_tokens":1024,"threads":256,"unroll":2}' timeout 120 benches/ncu_mixed_gather.sh $o/ncu-ring > /dev/null 2>&1
echo "ncu exit $?"; grep -E "Duration|DRAM Throughput|Achieved Occupancy|Registers Per|Grid Size|No Eligible|Waves Per SM|L2 Hit" $o/ncu-ring/details.txt | head -12
tar czf $OUT/call3.tgz -C /tmp c3
