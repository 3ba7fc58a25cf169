#!/usr/bin/env bash
# Session 17 call 7: NVRTC in a pool of persistent worker processes (call 6 started one a batch). `sdec kernels compile --family linear` with one
# process (SDEC_COMPILE_WORKERS=1: threads) and with a worker a core; the fuzzer through the
# workers; then benches/tune.sh.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17f/sdec
o=/tmp/c7; mkdir -p $o
for w in 1 16; do /usr/bin/time -f "workers $w: %e s wall" env SDEC_COMPILE_WORKERS=$w $S kernels compile --family linear 2>&1 | tail -2 | tee -a $o/scaling.txt; done
/usr/bin/time -f "every family, 16 workers: %e s wall" $S kernels compile 2>&1 | tail -2 | tee -a $o/scaling.txt
timeout 120 $S fuzz --cases 300 --seed 1703 > $o/fuzz.txt 2>&1; echo "fuzz: exit $?"; tail -n 1 $o/fuzz.txt
SDEC=$S TUNE_BUDGET_S=200 timeout 420 benches/tune.sh $o/tune > $o/tune.txt 2>&1
grep -E "^(exhaustive|descent).*s = |descent within|two independent|exhaustive: [0-9]|  (exhaustive|descent|exhaustive2): comp" $o/tune/summary.md
for f in exhaustive descent exhaustive2; do tail -n 2 $o/tune/$f.md; done
tar czf $OUT/call7.tgz --exclude='cache-*' -C /tmp c7
