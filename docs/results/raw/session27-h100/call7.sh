#!/usr/bin/env bash
# Session 27 call 7. Build s27f (main 8a4425e): #5's 128K figures as benches/figures_128k.sh makes
# them (every family tuned afresh; `full`, `lychee` and SpecAttn refined in the step), then
# `full` + SpecAttn b1 timed twice more on the same cache (the spread of the ratio).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c7; rm -rf $o; mkdir -p $o
b=s27f; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
SPEC=1 SDEC=/tmp/$b/sdec bash benches/figures_128k.sh $o/fig
export SDEC_TUNE_DIR=$o/fig/tune
for r in 1 2; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/again-$r.json > $o/again-$r.txt 2>&1
  echo "again $r exit $?: $(grep -E '^\| (full|specattn)' $o/again-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/again-$r.txt | tail -1
done
rm -rf $o/fig/tune/cubin; tar czf $OUT/c7.tgz -C /tmp c7
