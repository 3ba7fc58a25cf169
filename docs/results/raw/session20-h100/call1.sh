#!/usr/bin/env bash
# Session 20 call 1 (carry .carry/s20: this session's build (RoPE and the KV append inside the q|k|v
# product) as sdec, the build before it (569882e) as sdec-old, the GPU test binaries, gzipped):
# fuzz of linear (with its new rope_append output) and rope_append (its input now in rotation
# pairs), the GPU tests, then each build's cache from session 19's (call 12's) with linear tuned
# again and every stale entry retuned (the same procedure for both builds).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c1; mkdir -p $o/new $o/old
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for v in new old; do cp docs/results/raw/session19-h100/call12/tune-new.json $o/$v/tune.json; done
timeout 150 $C/sdec fuzz --family linear --cases 500 --seed 2001 > $o/fuzz-linear.txt 2>&1
echo "fuzz linear exit $?: $(tail -1 $o/fuzz-linear.txt)"; grep -A3 '^FAIL' $o/fuzz-linear.txt | head -12
timeout 100 $C/sdec fuzz --family rope_append --cases 200 --seed 2002 > $o/fuzz-rope.txt 2>&1
echo "fuzz rope_append exit $?: $(tail -1 $o/fuzz-rope.txt)"; grep -A3 '^FAIL' $o/fuzz-rope.txt | head -12
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b tune --family linear --force --budget-s 90 > $o/tune-linear-$v.txt 2>&1
    echo "tune linear $v exit $?: $(tail -1 $o/tune-linear-$v.txt)"
    SDEC_TUNE_DIR=$o/$v timeout 150 $b tune --family all --budget-s 140 > $o/tune-$v.txt 2>&1
    echo "tune all $v exit $?: $(tail -1 $o/tune-$v.txt)"
done
grep "qkv" $o/tune-linear-*.txt | head -12
for v in new old; do rm -rf $o/$v/cubin; done
tar czf $OUT/call1.tgz -C /tmp c1
