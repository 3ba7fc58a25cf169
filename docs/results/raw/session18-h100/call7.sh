#!/usr/bin/env bash
# Session 18 call 7 (carry .carry/s18e: the build before, 1a280cd, and session 16's refined
# cache; the model and call 5's build are still in /tmp): SmolLM2 SpecAttn with the acceptance
# read back on the host, on four of call 6's texts (its time per token beside call 6's), and the
# 128K figures of #5 with this session's build on the refined cache (stale top-k entries retuned).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
export SDEC_MODEL_DIR=/tmp/sdec-model/models
[ -f /tmp/s18/sdec ] || { echo "call 5's build is gone (the machine was not warm)"; exit 1; }
o=/tmp/c7; mkdir -p $o/old $o/tune
for t in GPL-3 Apache-2.0 LGPL-3 MPL-2.0; do
    mkdir -p $o/old/$t
    SDEC=.carry/s18e/sdec-old OUT=$o/old/$t timeout 60 benches/spec_accept.sh /usr/share/common-licenses/$t 8000 2>&1 | head -1
done
cp .carry/s18e/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 150 /tmp/s18/sdec tune --family all --budget-s 140 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
timeout 330 /tmp/s18/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
tar czf $OUT/call7.tgz -C /tmp c7
