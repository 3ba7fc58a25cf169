# Session 28, call 5 (build s28b): issue 2's attention benchmarks beside PyTorch (dense decode
# every shape; gather the four b8 shapes), then the GPU test binaries.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28b/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
cp benches/gpu_tests.sh $b/
o=$OUT/call5; mkdir -p $o
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
SDEC=$b/sdec timeout 150 bash benches/kernels.sh $o/decode decode_attention > $o/decode.log 2>&1
stamp "decode rc $?"; grep -E "^\||SMs" $o/decode/table.md | cut -c1-150
SHAPE=4096 SDEC=$b/sdec timeout 200 bash benches/kernels.sh $o/gather gather_attention > $o/gather.log 2>&1
stamp "gather rc $?"; grep -E "^\||SMs" $o/gather/table.md | cut -c1-150
cd $o && tar czf $OUT/call5a.tgz . && cd - >/dev/null
bash $b/gpu_tests.sh $o/gpu-tests
stamp "gpu tests rc $?"
cd $o && tar czf $OUT/call5.tgz . && cd - >/dev/null
