#!/usr/bin/env bash
# Session 27 call 11. Build s27h: s27f + `tune --refine`'s margin 0.3% → 0.2% of the step (calls
# 5 and 7 kept chunk_attention's isolated pick although the other measured 0.11 ms faster a
# round). #5's figures as benches/figures_128k.sh makes them, then `full` + SpecAttn b1 twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c11; rm -rf $o; mkdir -p $o
b=s27h; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
SPEC=1 SDEC=/tmp/$b/sdec bash benches/figures_128k.sh $o/fig
grep "chunk_attention" $o/fig/refine-specattn.txt | cut -c1-400
export SDEC_TUNE_DIR=$o/fig/tune
for r in 1 2; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 32 --warmup 5 --launch graph --json $o/again-$r.json > $o/again-$r.txt 2>&1
  echo "again $r exit $?: $(grep -E '^\| (full|specattn)' $o/again-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/again-$r.txt | tail -1
done
rm -rf $o/fig/tune/cubin; tar czf $OUT/c11.tgz -C /tmp c11
