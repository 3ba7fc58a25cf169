# Session 30, call 4 (build s30c = s30a + an experiment, not on main: SDEC_CARVEOUT=N sets every
# loaded kernel's preferred shared-memory carveout to N%): does the stream's per-launch time of
# top-k include a change of the SM's L1/shared split between the spin kernel ahead (no shared
# memory) and the top-k kernel? torch.topk timed in the same call (benches/torch_peers.py).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c4; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30c/sdec.gz > $b/sdec && chmod +x $b/sdec
python3 benches/torch_peers.py --family topk > $o/torch.json; cat $o/torch.json
for round in 1 2; do
  for cv in none 100 0; do
    if [ $cv = none ]; then unset SDEC_CARVEOUT; else export SDEC_CARVEOUT=$cv; fi
    $b/sdec bench kernels --family topk --shape "k=" --peers $o/torch.json --json $o/topk-$cv-$round.json > $o/topk-$cv-$round.md 2>&1
    echo "== carveout $cv round $round"; grep -E "2048\]|1 x 1" $o/topk-$cv-$round.md | cut -c1-220
  done
done
unset SDEC_CARVEOUT
tar czf $OUT/c4.tgz -C /tmp c4
