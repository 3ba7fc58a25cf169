# Session 31, call 10: the GPU test binaries (gpu_decode, gpu_fuzz, gpu_tune) built from the final
# code (s31d: the launch-averaged timing and the choice floor 4%; no kernel changed this session).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c10; rm -rf $o; mkdir -p $o
cp .carry/s31u/gpu_* benches/ && bash benches/gpu_tests.sh $o; echo "gpu_tests exit $?"
tar czf $OUT/c10.tgz -C /tmp c10
