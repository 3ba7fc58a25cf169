#!/usr/bin/env bash
# Final checks of the session's build: fuzz every family, the GPU test binaries, a fresh tune of
# every family + the 128K decode figures.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out
start=$(date +%s)
timeout 170 .carry/n/sdec fuzz --cases ${CASES:-1500} --seed ${SEED:-1041} > $out/fuzz.txt 2>&1; echo "fuzz rc $? in $(( $(date +%s) - start )) s"; grep FAIL $out/fuzz.txt | head -5 | cut -c1-300; tail -1 $out/fuzz.txt
for t in gpu_decode gpu_fuzz gpu_tune; do timeout 120 .carry/t/$t > $out/$t.txt 2>&1; echo "$t rc $?: $(grep 'test result' $out/$t.txt)"; done
rm -rf /tmp/tnew; SDEC=.carry/n/sdec TUNE_BUDGET_S=280 benches/decode_128k.sh /tmp/tnew $out/final > $out/final.log 2>&1
grep -E "tune wall|^\| [a-z]+ \||^\| 1 \| 1" $out/final.log | cut -c1-140
tar czf $out/tnew.tgz -C /tmp tnew
