#!/usr/bin/env bash
# Session 27 call 10. Build s27g: s27f + chunk_attention's `min_warps` (0 or 16: the compiler
# keeps registers for 16 warps an SM, 128 a thread instead of 162 for the 7-row pass). Fuzz;
# call 7's cache with chunk_attention tuned again (its source changed); SpecAttn refined as in
# benches/figures_128k.sh; `full` + SpecAttn b1 128K twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c10; rm -rf $o; mkdir -p $o/tune
b=s27g; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
S=/tmp/$b/sdec
timeout 120 $S fuzz --family chunk_attention --cases 600 --seed 2710 > $o/fuzz-chunk.txt 2>&1; echo "chunk fuzz rc $?: $(tail -1 $o/fuzz-chunk.txt)"
grep -m3 FAIL $o/fuzz-chunk.txt
cp .carry/c7tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 200 $S tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
grep -E "chunk_attention" $o/tune-all.txt | cut -c1-160
s=$(date +%s); timeout 150 $S tune --refine specattn --refine-candidates 2 --refine-steps 8 > $o/refine-specattn.txt 2>&1
echo "refine specattn exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-specattn.txt | tail -1)"
grep "chunk_attention" $o/refine-specattn.txt | cut -c1-300
for r in 1 2; do
  timeout 100 $S bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/dec-$r.json > $o/dec-$r.txt 2>&1
  echo "run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$r.txt | tail -1
done
rm -rf $o/tune/cubin; tar czf $OUT/c10.tgz -C /tmp c10
