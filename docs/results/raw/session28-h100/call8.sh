# Session 28, call 8 (build s28d: decode_attention gains the gather family's TMA path, mma = 3
# with 224 or 160 threads): the family fuzzed (every configuration), mma = 3 under both
# sanitizers, issue 2's dense benchmarks beside SDPA (stream; b1 also inside CUDA graphs), and
# the GPU test binaries.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28d/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
cp benches/gpu_tests.sh $b/
o=$OUT/call8; mkdir -p $o/san
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
timeout 200 $b/sdec fuzz --family decode_attention --cases 1200 --seed 2881 --json $o/fuzz-decode.json > $o/fuzz-decode.txt 2>&1
stamp "fuzz decode rc $?: $(tail -1 $o/fuzz-decode.txt)"; grep -A2 "^FAIL" $o/fuzz-decode.txt | head -12
san="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
for tool in memcheck racecheck; do for c in 84 85 102 105; do
    timeout 60 "$san" --tool $tool --error-exitcode 9 $b/sdec fuzz --family decode_attention --case $c --seed 5 --max-size 200000 > $o/san/$tool-$c.txt 2>&1
    echo "$tool decode_attention case $c: exit $? | $(grep -E 'SUMMARY' $o/san/$tool-$c.txt | head -1) | $(tail -1 $o/san/$tool-$c.txt)"
done; done > $o/sanitizer.txt
stamp "sanitizer: $(grep -c ': exit 0 ' $o/sanitizer.txt) of 8 exit 0"; grep -v ': exit 0 ' $o/sanitizer.txt
SDEC=$b/sdec timeout 200 bash benches/kernels.sh $o/stream decode_attention > $o/stream.log 2>&1
stamp "decode stream rc $?"; grep -E "^\||SMs" $o/stream/table.md | cut -c1-170
LAUNCH=graph SHAPE="b1 32q" SDEC=$b/sdec timeout 120 bash benches/kernels.sh $o/graph decode_attention > $o/graph.log 2>&1
stamp "decode graph rc $?"; grep -E "^\||SMs" $o/graph/table.md | cut -c1-170
cd $o && tar czf $OUT/call8.tgz . && cd - >/dev/null
bash $b/gpu_tests.sh $o/gpu-tests
stamp "gpu tests rc $?"
cd $o && tar czf $OUT/call8.tgz . && cd - >/dev/null
