#!/usr/bin/env bash
# Session 15 call 7: the b1 LycheeDecode mixed layer against its two halves alone (branch
# mixed-split's `sdec bench kernels` cases: the retrieval head alone, the seven sparse heads),
# every configuration of each.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
s=.carry/s15b/sdec
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for shape in "b1 32q/8kv d128 ctx128K, 4480 tokens, 1/8" "b1 32q/8kv d128 ctx128K, 4480 tokens, 0/8" "b1 4q/1kv" "b1 28q/7kv"; do
  tag=$(echo "$shape" | tr -c 'a-zA-Z0-9' '_' | cut -c1-40)
  timeout 200 $s bench kernels --family gather_attention --shape "$shape" --json $OUT/$tag.json > $OUT/$tag.md 2>&1
  echo "== $shape"; grep -E "^\|" $OUT/$tag.md | tail -2
done
