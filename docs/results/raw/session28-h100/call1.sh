# Session 28, call 1: top-k timed inside CUDA graphs (both sides) and on the stream, beside
# torch.topk in the same call; SpecAttn's fuzz on the build without spec_tokens' gamma.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28a/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
cp benches/gpu_tests.sh $b/
o=$OUT/call1; mkdir -p $o
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
LAUNCH=graph SDEC=$b/sdec timeout 240 bash benches/kernels.sh $o/topk-graph topk > $o/topk-graph.log 2>&1
stamp "topk graph rc $?"; grep -E "^\||SMs" $o/topk-graph/table.md | cut -c1-200
LAUNCH=stream SDEC=$b/sdec timeout 150 bash benches/kernels.sh $o/topk-stream topk > $o/topk-stream.log 2>&1
stamp "topk stream rc $?"; grep -E "^\||SMs" $o/topk-stream/table.md | cut -c1-200
timeout 120 $b/sdec fuzz --family spec --cases 1000 --seed 2801 > $o/fuzz-spec.txt 2>&1
stamp "fuzz spec rc $?: $(tail -1 $o/fuzz-spec.txt)"
