#!/usr/bin/env bash
# Session 15 call 13, the build with `linear` launched plainly (no programmatic dependent launch):
# fuzz of the families whose sources changed, the GPU test binaries, then benches/decode_128k.sh
# (a fresh `tune --family all`, then full, lychee 9% and specattn at 128K b1/b2) into /tmp/t15.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s15c
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 120 $c/sdec fuzz --family linear --family decode_attention --family gather_attention --family embed --cases 300 --seed 1501 > $OUT/fuzz.txt 2>&1; tail -1 $OUT/fuzz.txt
bash $c/gpu_tests.sh $OUT
rm -rf /tmp/t15
SDEC=$c/sdec TUNE_BUDGET_S=240 timeout 400 benches/decode_128k.sh /tmp/t15 $OUT > $OUT/decode_128k.log 2>&1
grep -E "tune wall|^\| (full|lychee|specattn)" $OUT/decode_128k.log
