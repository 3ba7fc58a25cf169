#!/usr/bin/env bash
# Session 16 call 12: gather_attention with unroll 3 (the ring: two 16-token tiles a warp in
# flight at 256 threads, 226 KB of shared memory). Fuzz; the all-sparse shapes alone; the family
# retuned into a copy of call 2's refined cache (.carry/t16u: call 2's winners under this build's
# gather hash = the "before" arm), then the 128K b1 decode on both caches.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
c=.carry/s16u/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 120 $c fuzz --family gather_attention --cases 300 --seed 1603 > $OUT/fuzz.txt 2>&1; tail -1 $OUT/fuzz.txt
configs=()
for t in 256 128; do for u in 2 3 4; do for f in 0 1 2; do
  configs+=(--config "{\"threads\":$t,\"split_tokens\":1024,\"unroll\":$u,\"mma\":2,\"fill\":$f}")
done; done; done
for shape in "9175 tokens" "b1 32q/8kv d128 ctx128K, 4480 tokens, 0/8"; do
  tag=$(echo "$shape" | tr -c 'a-zA-Z0-9' '_' | cut -c1-40)
  timeout 100 $c bench kernels --family gather_attention --shape "$shape" "${configs[@]}" --json $OUT/$tag.json > $OUT/$tag.md 2>&1
  echo "== $shape"; grep -E "^\|" $OUT/$tag.md | tail -1
done
rm -rf /tmp/ta /tmp/tb && cp -r .carry/t16u /tmp/ta && cp -r .carry/t16u /tmp/tb
SDEC_TUNE_DIR=/tmp/tb timeout 150 $c tune --family gather_attention --json $OUT/tune-gather.json > $OUT/tune-gather.md 2>&1; tail -2 $OUT/tune-gather.md
grep -E "specattn|lychee" $OUT/tune-gather.md | cut -c1-200
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for arm in ta tb; do
  SDEC_TUNE_DIR=/tmp/$arm timeout 100 $c bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy $lychee --policy specattn \
    --steps 32 --warmup 5 --launch graph > $OUT/decode-$arm.md 2>&1
  echo "$arm: $(grep -E '^\| (full|lychee|specattn)' $OUT/decode-$arm.md | cut -d'|' -f7 | tr '\n' ' ') round $(grep -E '^\| 1 \| 1308' $OUT/decode-$arm.md | cut -d'|' -f5)"
done
