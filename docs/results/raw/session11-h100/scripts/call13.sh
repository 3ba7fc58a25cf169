#!/usr/bin/env bash
# Session 11: the GPU test binaries on the committed build (top-k changed; every policy's decode
# on the tiny models uses it).
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
for t in gpu_decode gpu_fuzz gpu_tune; do
  s=$(date +%s); timeout 170 $here/$t > $out/$t.txt 2>&1
  echo "$t rc $? in $(( $(date +%s) - s )) s: $(grep 'test result' $out/$t.txt)"
done
