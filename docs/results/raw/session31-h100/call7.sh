# Session 31, call 7: the GPU test binaries (gpu_decode, gpu_fuzz, gpu_tune) built from the final
# code (the tuner's launch-averaged timing; no kernel changed this session).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c7; rm -rf $o; mkdir -p $o
cp .carry/s31t/gpu_* benches/ && bash benches/gpu_tests.sh $o; echo "gpu_tests exit $?"
tar czf $OUT/c7.tgz -C /tmp c7
