#!/usr/bin/env bash
# Session 24 call 11 (carry .carry/s24f: the final build, call 6's kernels with comments edited):
# #5's 128K figures with SpecAttn (benches/figures_128k.sh, SPEC=1), then the CUPTI timeline of
# `lychee` and `full` at b1 on that cache (benches/cupti_trace/run.sh; per layer: layers.py).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
mkdir -p /tmp/s24f && gunzip -c .carry/s24f/sdec.gz > /tmp/s24f/sdec && chmod +x /tmp/s24f/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
rm -rf /tmp/c11; SPEC=1 SDEC=/tmp/s24f/sdec bash benches/figures_128k.sh /tmp/c11
export SDEC_TUNE_DIR=/tmp/c11/tune
SDEC=/tmp/s24f/sdec timeout 100 bash benches/cupti_trace/run.sh /tmp/c11/trace lychee:heads=docs/results/llama8b-heads-9pct.json 1 128k > /tmp/c11/trace-lychee.txt 2>&1
echo "trace lychee rc $?"; python3 benches/cupti_trace/layers.py /tmp/c11/trace/step-b1.csv
gzip -f /tmp/c11/trace/*.csv; rm -f /tmp/c11/trace/*.so
rm -rf /tmp/c11/tune/cubin; tar czf $OUT/c11.tgz -C /tmp c11
