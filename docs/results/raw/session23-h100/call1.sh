#!/usr/bin/env bash
# Session 23 call 1 (carry .carry/s23): the gather family's new `mma` = 3 (TMA-staged units on
# tensor cores) fuzzed against the reference, then the gather family tuned on LycheeDecode's
# decode-loop shapes (every configuration timed: the cache's measurements compare the modes).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s23; mkdir -p $C; cp .carry/s23/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c1; mkdir -p $o/tune
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $o/gpu.txt; cat $o/gpu.txt
s=$(date +%s)
timeout 240 $C/sdec fuzz --family gather_attention --cases 3000 --seed 23 --json $o/fuzz.json > $o/fuzz.txt 2>&1
echo "fuzz exit $? in $(( $(date +%s) - s )) s: $(tail -1 $o/fuzz.txt)"
grep -iE "fail|case" $o/fuzz.txt | head -20
s=$(date +%s)
SDEC_TUNE_DIR=$o/tune timeout 200 $C/sdec tune --family gather_attention \
    --shapes b1-ctx128k-lychee,b2-ctx128k-lychee,b1-ctx128k-lychee-sparse,b2-ctx128k-lychee-sparse --json $o/tune.json > $o/tune.txt 2>&1
echo "tune exit $? in $(( $(date +%s) - s )) s"; cat $o/tune.txt | tail -12
rm -rf $o/tune/cubin
tar czf $OUT/call1.tgz -C /tmp c1
