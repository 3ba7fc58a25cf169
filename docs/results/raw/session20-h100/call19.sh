#!/usr/bin/env bash
# Session 20 call 19 (carry .carry/s20: the final build plus an experiment — each projection's first
# CTAs load one word of every 2 MB page of the next projection's weights when SDEC_WARM_NEXT is
# set): linear's fuzz, gpu_decode, linear retuned on call 17's cache (its source changed), then the
# 128K b1 figures with the warm-up off and on, alternated three times (one binary, one cache).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c19; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call17/tune/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 120 $C/sdec fuzz --family linear --cases 200 --seed 2019 > $o/fuzz.txt 2>&1; echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"
timeout 100 $C/gpu_decode > $o/gpu_decode.txt 2>&1; echo "gpu_decode exit $?: $(grep 'test result' $o/gpu_decode.txt)"
timeout 100 $C/sdec tune --family linear --budget-s 90 > $o/tune-linear.txt 2>&1; echo "tune linear exit $?: $(tail -1 $o/tune-linear.txt)"
for r in 1 2 3; do for v in off on; do
    if [ $v = on ]; then export SDEC_WARM_NEXT=1; else unset SDEC_WARM_NEXT; fi
    timeout 100 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-$r.json > $o/decode-$v-$r.txt 2>&1
    echo "$v $r exit $?: $(grep -E '^\| (full|lychee)' $o/decode-$v-$r.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode-$v-$r.txt | tail -1)"
done; done
rm -rf $o/tune
tar czf $OUT/call19.tgz -C /tmp c19
