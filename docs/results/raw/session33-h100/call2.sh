# Session 33, call 2 (no sdec build): benches/linear_micro at seven rows, the tensor-core path
# against `stream-smem.cu` — call 1's streamed rows (mma 2) with the weights in a shared-memory ring
# of 2 or 3 x UNROLL rows filled by cp.async (each lane copies the 16 bytes it reads) instead of
# registers; b1 gate|up for reference. The variant file: apply stream-rows.diff, copy
# kernels-gen/cuda/linear.cu to docs/results/raw/session33-h100/stream-smem.cu and apply stream-smem.diff
# to the copy (run.py's STREAM_SMEM also came from stream-rows.diff).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c2; rm -rf $o; mkdir -p $o
v=docs/results/raw/session33-h100/stream-smem.cu
timeout 400 python3 benches/linear_micro/run.py --runs 30 --shapes b7-gate-up,b7-qkv,b7-o,b7-lm-head,b1-gate-up --json $o/micro.json \
    cur=-:MMA=1 b1=-:MMA=0 sm2=$v:MMA=2,ROWS=1,STREAM_SMEM=2 sm3=$v:MMA=2,ROWS=1,STREAM_SMEM=3 > $o/micro.txt 2>&1
echo "micro exit $?"; grep -E "WRONG|candidates|copy|best per|^  |sm[23]/" $o/micro.txt
tar czf $OUT/c2.tgz -C /tmp c2
