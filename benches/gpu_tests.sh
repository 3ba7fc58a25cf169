#!/usr/bin/env bash
# The GPU test binaries of tests/ (gpu_decode, gpu_fuzz, gpu_tune), on the GPU machine, each with
# its own time limit and log. Build them here with `cargo test --release -p sdec-tests --no-run`,
# copy the newest target/release/deps/gpu_{decode,fuzz,tune}-* as gpu_decode, gpu_fuzz, gpu_tune
# into the carried folder beside this script, then:
#   benches/gpu_tests.sh OUTDIR
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-.}"
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
failed=0
for t in gpu_decode gpu_fuzz gpu_tune; do
    s=$(date +%s)
    timeout 170 "$here/$t" > "$out/$t.txt" 2>&1
    rc=$?
    [ $rc -eq 0 ] || failed=1
    echo "$t rc $rc in $(( $(date +%s) - s )) s: $(grep 'test result' "$out/$t.txt")"
done
exit $failed
