# Session 28, call 4 (build s28b: argmax's last-CTA flag through __syncthreads_or): argmax under
# both sanitizers in every configuration and fuzzed; then the kernel benchmarks of issue 2 beside
# PyTorch (every family on the stream, top-k also inside CUDA graphs), one family at a time.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28b/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
o=$OUT/call4; mkdir -p $o/san
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
san="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
for tool in memcheck racecheck; do for c in $(seq 0 14); do
    timeout 60 "$san" --tool $tool --error-exitcode 9 $b/sdec fuzz --family argmax --case $c --seed 5 --max-size 200000 > $o/san/$tool-$c.txt 2>&1
    echo "$tool argmax case $c: exit $? | $(grep -E 'SUMMARY' $o/san/$tool-$c.txt | head -1) | $(tail -1 $o/san/$tool-$c.txt)"
done; done > $o/sanitizer-argmax.txt
stamp "argmax sanitizer: $(grep -c ': exit 0 ' $o/sanitizer-argmax.txt) of 30 exit 0"; grep -v ': exit 0 ' $o/sanitizer-argmax.txt
timeout 100 $b/sdec fuzz --family argmax --cases 600 --seed 2841 > $o/fuzz-argmax.txt 2>&1
stamp "fuzz argmax rc $?: $(tail -1 $o/fuzz-argmax.txt)"
SDEC=$b/sdec timeout 330 bash benches/kernels.sh $o/stream > $o/stream.log 2>&1
stamp "kernels stream rc $?"; grep -E "^\||SMs" $o/stream/table.md | cut -c1-150
LAUNCH=graph SDEC=$b/sdec timeout 100 bash benches/kernels.sh $o/graph topk > $o/graph.log 2>&1
stamp "topk graph rc $?"; grep -E "^\||SMs" $o/graph/table.md | cut -c1-150
cd $o && tar czf $OUT/call4.tgz . && cd - >/dev/null
