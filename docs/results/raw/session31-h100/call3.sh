# Session 31, call 3 (build s31b): top-k beside torch.topk with its default sort and with
# sorted=False (ours returns the k in index order), on the stream and in CUDA graphs, each twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c3; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s31b/sdec.gz > $b/sdec && chmod +x $b/sdec
for round in 1 2; do
  for launch in stream graph; do
    g=(); [ $launch = graph ] && g=(--graph)
    python3 benches/torch_peers.py --family topk "${g[@]}" > $o/torch-$launch-$round.json
    $b/sdec bench kernels --launch $launch --family topk --shape "k=" --peers $o/torch-$launch-$round.json --json $o/topk-$launch-$round.json > $o/topk-$launch-$round.md 2>&1
    echo "== $launch round $round"; cat $o/torch-$launch-$round.json; echo; grep -E "2048\]|1 x 1|131072\]" $o/topk-$launch-$round.md | cut -c1-160
  done
done
tar czf $OUT/c3.tgz -C /tmp c3
