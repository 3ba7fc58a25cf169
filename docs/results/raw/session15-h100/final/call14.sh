#!/usr/bin/env bash
# Session 15 call 14 (same machine, right after call 13): `sdec tune --refine` for full and
# lychee (9% map) at batch 2 on call 13's cache, then full and lychee at 128K b1/b2 with it.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s15c
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
ls /tmp/t15 > /dev/null || exit 3
for run in "full 2" "$lychee 2"; do
    read -r policy batch <<< "$run"
    name="$(echo "$policy" | cut -d: -f1)-b$batch"
    timeout 150 $c/sdec tune --cache /tmp/t15 --refine "$policy" --refine-batch "$batch" --refine-candidates 2 \
        --refine-steps 16 --json $OUT/refine-$name.json > $OUT/refine-$name.md 2> $OUT/refine-$name.log
    head -1 $OUT/refine-$name.md
done
SDEC_TUNE_DIR=/tmp/t15 timeout 100 $c/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 \
    --policy full --policy "$lychee" --steps 32 --warmup 5 --launch graph --json $OUT/decode-refined.json 2>&1 | grep -E "^\|"
