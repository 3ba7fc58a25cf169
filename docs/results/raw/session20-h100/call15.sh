#!/usr/bin/env bash
# Session 20 call 15 (carry .carry/s20: sdec = merge_partials with warp reductions and its first loads
# issued together (common.cuh: every family's source changes); sdec-base = call 11's final build):
# the attention families' fuzz, gpu_decode, then each build on call 9's new cache tuned again in
# full (`tune --family all --force`, the same for both), the 128K b1 figures alternated three times.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c15; mkdir -p $o/new $o/base
for v in new base; do cp docs/results/raw/session20-h100/call9/new/tune.json $o/$v/; done
timeout 200 $C/sdec fuzz --family decode_attention --family gather_attention --family chunk_attention --cases 600 --seed 2015 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"; grep -A3 '^FAIL' $o/fuzz.txt | head -12
timeout 100 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
for v in new base; do
    b=$C/sdec; [ $v = base ] && b=$C/sdec-base
    SDEC_TUNE_DIR=$o/$v timeout 170 $b tune --family all --force --budget-s 160 > $o/tune-$v.txt 2>&1
    echo "tune $v exit $?: $(tail -2 $o/tune-$v.txt | head -1)"
done
for r in 1 2 3; do for v in new base; do
    b=$C/sdec; [ $v = base ] && b=$C/sdec-base
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-$r.json > $o/decode-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -E '^\| (full|lychee)' $o/decode-$v-$r.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode-$v-$r.txt | tail -1)"
done; done
for v in new base; do rm -rf $o/$v/cubin; done
tar czf $OUT/call15.tgz -C /tmp c15
