#!/usr/bin/env bash
# Session 16 call 1: the gather family's filled plans (`fill`: all heads' work cut into about
# fill x SMs equal pieces, one wave). Fuzz the family, time fixed and filled plans on the decode
# loop's gather shapes, then benches/decode_128k.sh (fresh tune of every family + the 128K decode).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=${SDEC:-.carry/s16a/sdec}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 120 $s fuzz --family gather_attention --cases 400 --seed 1601 > $OUT/fuzz.txt 2>&1; tail -1 $OUT/fuzz.txt
configs=()
for t in 256 128; do for u in 2 4; do for m in 0 2; do for f in 0 1 2; do
  for sp in 1024 2048 512; do
    [ $f != 0 ] && [ $sp != 1024 ] && continue
    configs+=(--config "{\"threads\":$t,\"split_tokens\":$sp,\"unroll\":$u,\"mma\":$m,\"fill\":$f}")
  done
done; done; done; done
for shape in "b1 32q/8kv d128 ctx128K, 4480 tokens, 1/8" "b1 32q/8kv d128 ctx128K, 4480 tokens, 0/8" "9175 tokens" "b2 32q/8kv d128 ctx128K, 4480 tokens, 1/8"; do
  tag=$(echo "$shape" | tr -c 'a-zA-Z0-9' '_' | cut -c1-40)
  timeout 120 $s bench kernels --family gather_attention --shape "$shape" "${configs[@]}" --json $OUT/$tag.json > $OUT/$tag.md 2>&1
  echo "== $shape"; grep -E "^\|" $OUT/$tag.md | tail -1
done
SDEC=$s timeout 330 benches/decode_128k.sh /tmp/t16 $OUT > $OUT/decode_128k.log 2>&1
grep -E "gather_attention|tune wall|^\| (full|lychee|specattn)|^\| [12] \|" $OUT/decode_128k.log
