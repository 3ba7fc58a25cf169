#!/usr/bin/env bash
# Session 25 call 7: the final build (.carry/s25f). `sdec check` on synthetic:tiny with budgets
# under the 1024-token prompt, so that every sparse path is compared with the reference (call 6's
# defaults cover the whole context: every policy was dense there), eager and in a graph; then a
# fourth independent `benches/figures_128k.sh` run.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s25f/sdec; mkdir -p /tmp/s25f && gunzip -c .carry/s25f/sdec.gz > $S && chmod +x $S
o=/tmp/c7; rm -rf $o; mkdir -p $o
timeout 200 $S check --model synthetic:tiny --prompt-tokens 1024 --graph --policy lychee:budget=256,recent=64 \
  --policy tidal:budget=256 --policy quest:budget=256 --policy lfps:budget=256 --policy streaming:recent=252 > $o/check.txt 2>&1
echo "check rc $?"; grep -E "^(PASS|FAIL)" $o/check.txt | cut -c1-200
SDEC=$S bash benches/figures_128k.sh $o/fig 2>&1 | grep -v -- "---"
rm -rf $o/fig/tune/cubin; tar czf $OUT/c7.tgz -C /tmp c7
