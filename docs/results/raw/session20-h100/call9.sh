#!/usr/bin/env bash
# Session 20 call 9 (carry .carry/s20: sdec = the chunk attention and its merge launched as
# programmatic dependents; sdec-base = call 3's build): chunk attention's fuzz, gpu_decode, then each
# build on call 4's base cache with chunk_attention tuned again (--force, both), the 128K b1 figures
# alternated three times.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c9; mkdir -p $o/new $o/base
for v in new base; do cp docs/results/raw/session20-h100/call4/base/tune.json $o/$v/; done
timeout 120 $C/sdec fuzz --family chunk_attention --cases 300 --seed 2009 > $o/fuzz-chunk.txt 2>&1
echo "fuzz chunk exit $?: $(tail -1 $o/fuzz-chunk.txt)"; grep -A3 '^FAIL' $o/fuzz-chunk.txt | head -12
timeout 100 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
for v in new base; do
    b=$C/sdec; [ $v = base ] && b=$C/sdec-base
    SDEC_TUNE_DIR=$o/$v timeout 100 $b tune --family chunk_attention --force --budget-s 90 > $o/tune-chunk-$v.txt 2>&1
    echo "tune chunk $v exit $?: $(tail -1 $o/tune-chunk-$v.txt)"; grep "q7" $o/tune-chunk-$v.txt
done
for r in 1 2 3; do for v in new base; do
    b=$C/sdec; [ $v = base ] && b=$C/sdec-base
    SDEC_TUNE_DIR=$o/$v timeout 100 $b bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-$r.json > $o/decode-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -E '^\| (full|lychee)' $o/decode-$v-$r.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode-$v-$r.txt | tail -1)"
done; done
for v in new base; do rm -rf $o/$v/cubin; done
tar czf $OUT/call9.tgz -C /tmp c9
