# the GPU test binaries of the final build (after the input copies change), carried in .carry/s21t
bash .carry/s21t/gpu_tests.sh $OUT/gpu-tests
