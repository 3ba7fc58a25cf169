#!/usr/bin/env bash
# Session 25 call 6: the final build (.carry/s25f; its GPU test binaries in .carry/s25t):
# gpu_decode, gpu_fuzz, gpu_tune; `sdec check` on synthetic:tiny for every policy, eager and in a
# graph, at a 1024-token prompt (past every policy's budget, so the sparse paths are compared);
# then a third independent `benches/figures_128k.sh` run (full and lychee, b1 and b2).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=/tmp/s25f/sdec; mkdir -p /tmp/s25f && gunzip -c .carry/s25f/sdec.gz > $S && chmod +x $S
o=/tmp/c6; rm -rf $o; mkdir -p $o
bash .carry/s25t/gpu_tests.sh $o/tests
timeout 200 $S check --model synthetic:tiny --prompt-tokens 1024 --policy full --policy lychee --policy tidal --policy quest --policy lfps --policy streaming --policy specattn --graph > $o/check.txt 2>&1
echo "check rc $?"; tail -12 $o/check.txt
SDEC=$S bash benches/figures_128k.sh $o/fig 2>&1 | grep -v -- "---"
rm -rf $o/fig/tune/cubin; tar czf $OUT/c6.tgz -C /tmp c6
