#!/usr/bin/env bash
# Session 19 call 13 (carry .carry/s19): the 128K figures of #5 on this session's build, on call 12's
# cache (session 16's refined cache with linear tuned again; stale top-k entries retuned first).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s19
o=/tmp/c13; mkdir -p $o/tune
cp docs/results/raw/session19-h100/call12/tune-new.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 150 $C/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
timeout 400 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
rm -rf $o/tune/cubin
tar czf $OUT/call13.tgz -C /tmp c13
