#!/usr/bin/env bash
# A build's end-of-session checks on the GPU machine, in one call: the GPU test binaries
# (benches/gpu_tests.sh), `sdec check --model synthetic:tiny` of every policy the check serves
# (eager and in a graph), then, with FIGURES=1, issue 5's figures (benches/figures_128k.sh with
# SPEC=1; CANDIDATES / SPEC_CANDIDATES pass through). Build here first:
#   cargo build --release; cargo test --release -p sdec-tests --no-run
#   strip + gzip target/release/sdec into CARRY/sdec.gz and the newest
#   target/release/deps/gpu_{decode,fuzz,tune}-* into CARRY/gpu_{decode,fuzz,tune}.gz
# then, on the GPU machine (CARRY named in the call's carry):
#   benches/final_checks.sh CARRY OUT     (OUT outside $OUT: tar it, as the figures leave OUT/fig/tune/cubin)
set -uo pipefail
cd "$(dirname "$0")/.."
carry=${1:?usage: final_checks.sh CARRY OUT}; o=${2:?usage: final_checks.sh CARRY OUT}
mkdir -p "$o" /tmp/final-checks-bin
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c "$carry/$t.gz" > "benches/$t" && chmod +x "benches/$t"; done
bash benches/gpu_tests.sh "$o/tests"; echo "gpu_tests.sh exit $?"
S=/tmp/final-checks-bin/sdec; gunzip -c "$carry/sdec.gz" > $S && chmod +x $S
timeout 120 $S check --model synthetic:tiny --policy full --policy lychee --policy tidal --policy quest --policy lfps \
    --policy streaming --graph > "$o/check.txt" 2>&1
echo "check exit $?: $(grep -cE '^PASS' "$o/check.txt") PASS"; grep -E "^FAIL" "$o/check.txt"
if [ "${FIGURES:-0}" = 1 ]; then
    SPEC=1 SDEC=$S timeout 440 bash benches/figures_128k.sh "$o/fig"
    gzip -c "$o/fig/tune/tune.json" > "$o/fig/tune-all.json.gz" && rm -rf "$o/fig/tune"
fi
