#!/usr/bin/env bash
# Session 27 call 8. Build s27f (main 8a4425e) on call 7's refined cache: SpecAttn refined again
# more widely (4 candidates an entry, 16 rounds a timing), then `full` + SpecAttn b1 128K twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c8; rm -rf $o; mkdir -p $o/tune
b=s27f; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
cp .carry/c7tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 330 /tmp/$b/sdec tune --refine specattn --refine-candidates 4 --refine-steps 16 > $o/refine-specattn.txt 2>&1
echo "refine specattn exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-specattn.txt | tail -1)"
for r in 1 2; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/dec-$r.json > $o/dec-$r.txt 2>&1
  echo "run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$r.txt | tail -1
done
rm -rf $o/tune/cubin; tar czf $OUT/c8.tgz -C /tmp c8
