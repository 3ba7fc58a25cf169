#!/usr/bin/env bash
# Session 23 call 9 (carry .carry/s23g): the final kernels with `mma` = 3 also at 96 threads (a
# producer and 2 consumer warps, 65 KB of ring at head dim 128, so `fill` 2 puts two CTAs on an
# SM): fuzzed, #5's 128K figures as call 3, then the kernel timeline of `lychee` b1 (CUPTI).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s23g; mkdir -p $C; cp .carry/s23g/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c9; mkdir -p $o/tune
export SDEC_TUNE_DIR=$o/tune
s=$(date +%s)
timeout 150 $C/sdec fuzz --family gather_attention --cases 1500 --seed 2309 \
    --json $o/fuzz.json > $o/fuzz.txt 2>&1
echo "fuzz exit $? in $(( $(date +%s) - s )) s: $(tail -1 $o/fuzz.txt)"
grep -iE "fail" $o/fuzz.txt | head -10
s=$(date +%s); timeout 200 $C/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
grep -E "lychee" $o/tune-all.txt
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json; do
    n=${p%%:*}; s=$(date +%s)
    timeout 100 $C/sdec tune --refine $p > $o/refine-$n.txt 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-$n.txt)"
done
timeout 120 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
SDEC=$C/sdec timeout 120 bash benches/cupti_trace/run.sh $o/trace lychee:heads=docs/results/llama8b-heads-9pct.json 1 128k > $o/trace-summary.txt 2>&1
echo "trace exit $?"; sed -n 5,12p $o/trace-summary.txt
rm -rf $o/tune/cubin $o/trace/*.so
tar czf $OUT/call9.tgz -C /tmp c9
