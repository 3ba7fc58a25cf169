#!/usr/bin/env bash
# Session 14 call 7: benches/gpu_tests.sh (copied into .carry/s14 beside the test binaries of call 2).
bash .carry/s14/gpu_tests.sh $OUT/t; echo "script rc $?"
