#!/usr/bin/env bash
# Session 17 call 8: the GPU test binaries (gpu_decode, gpu_fuzz, gpu_tune) on the final build,
# and `sdec bench kernels --family topk` through the NVRTC worker pool.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c8; mkdir -p $o
.carry/s17g/gpu_tests.sh $o; echo "gpu_tests: exit $?"
timeout 100 .carry/s17g/sdec bench kernels --family topk --quick > $o/bench-topk.txt 2>&1; echo "bench: exit $?"; tail -n 6 $o/bench-topk.txt
tar czf $OUT/call8.tgz -C /tmp c8
