#!/usr/bin/env bash
# Session 23 call 7 (carry .carry/s23t): the GPU test binaries of the final build (gpu_decode,
# gpu_fuzz, gpu_tune; benches/gpu_tests.sh), each with its log.
bash .carry/s23t/gpu_tests.sh /tmp/c7
tar czf $OUT/call7.tgz -C /tmp c7
