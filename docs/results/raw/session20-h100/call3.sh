#!/usr/bin/env bash
# Session 20 call 3 (carry .carry/s20): the tensor-core tile's sums and stores spread over the CTA's
# warps (warp 0 alone before). linear's fuzz, gpu_decode, linear tuned again on call 2's new cache,
# then the 128K b1 step of full, lychee and SpecAttn, the builds alternated three times (old: call
# 1's old cache).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c3; mkdir -p $o/new $o/old
cp docs/results/raw/session20-h100/call2/new/tune.json $o/new/; cp docs/results/raw/session20-h100/call1/old/tune.json $o/old/
timeout 150 $C/sdec fuzz --family linear --cases 500 --seed 2004 > $o/fuzz-linear.txt 2>&1
echo "fuzz linear exit $?: $(tail -1 $o/fuzz-linear.txt)"; grep -A3 '^FAIL' $o/fuzz-linear.txt | head -12
timeout 100 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
SDEC_TUNE_DIR=$o/new timeout 100 $C/sdec tune --family linear --force --budget-s 90 > $o/tune-linear-new.txt 2>&1
echo "tune linear new exit $?: $(tail -1 $o/tune-linear-new.txt)"
grep "b7" $o/tune-linear-new.txt
for r in 1 2 3; do for v in new old; do
    b=$C/sdec; [ $v = old ] && b=$C/sdec-old
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-$r.json > $o/decode-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -E '^\| (full|lychee)' $o/decode-$v-$r.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode-$v-$r.txt | tail -1)"
done; done
for v in new old; do rm -rf $o/$v/cubin; done
tar czf $OUT/call3.tgz -C /tmp c3
