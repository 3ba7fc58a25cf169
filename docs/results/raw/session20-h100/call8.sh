#!/usr/bin/env bash
# Session 20 call 8 (carry .carry/s20: call 3's build): the entries chosen by the decode step's time
# (`sdec tune --refine`, 6 candidates an entry) for full, lychee and SpecAttn at 128K b1, on call 4's
# base cache; then the three policies' figures on the refined cache, twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c8; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call4/base/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
for p in full lychee:heads=docs/results/llama8b-heads-9pct.json specattn; do
    n=${p%%:*}; s=$(date +%s)
    timeout 200 $C/sdec tune --refine $p --refine-candidates 6 > $o/refine-$n.txt 2>&1
    echo "refine $n exit $? in $(( $(date +%s) - s )) s"; grep -iE "refined|kept|->|→" $o/refine-$n.txt | head -20
done
for r in 1 2; do
    timeout 100 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$r.json > $o/decode-$r.txt 2>&1
    echo "$r exit $?: $(grep -E '^\| (full|lychee)' $o/decode-$r.txt | awk -F'|' '{printf "%s %s; ", substr($2,1,7), $7}') round: $(grep -A2 '^| batch' $o/decode-$r.txt | tail -1)"
done
rm -rf $o/tune/cubin
tar czf $OUT/call8.tgz -C /tmp c8
