#!/usr/bin/env bash
# Session 24 call 6 (carry .carry/s24b): #5's 128K figures on this build, SpecAttn included
# (benches/figures_128k.sh with SPEC=1: every family tuned afresh, refined in the step for full,
# lychee and SpecAttn, then bench decode at batch 1 and 2).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
mkdir -p /tmp/s24b && gunzip -c .carry/s24b/sdec.gz > /tmp/s24b/sdec && chmod +x /tmp/s24b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
rm -rf /tmp/c6; SPEC=1 SDEC=/tmp/s24b/sdec bash benches/figures_128k.sh /tmp/c6
rm -rf /tmp/c6/tune/cubin; tar czf $OUT/c6.tgz -C /tmp c6
