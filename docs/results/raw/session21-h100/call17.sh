# the GPU test binaries of a26dede (gpu_decode, gpu_fuzz, gpu_tune) and benches/gpu_tests.sh, carried in .carry/s21t
bash .carry/s21t/gpu_tests.sh $OUT/gpu-tests
