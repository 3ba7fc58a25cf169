#!/usr/bin/env bash
# Session 25 call 2: branch linear-hoist (.carry/s25h) against main (.carry/s25m) in the step:
# benches/figures_128k.sh for each build into its own folder, H then M.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s25m s25h; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
for b in s25h s25m; do
  rm -rf /tmp/c2-$b; SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c2-$b 2>&1 | sed "s/^/$b: /" | grep -v -- "---"
  rm -rf /tmp/c2-$b/tune/cubin
done
tar czf $OUT/c2.tgz -C /tmp c2-s25h c2-s25m
