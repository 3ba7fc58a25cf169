#!/usr/bin/env bash
# Session 24 call 7: A/B of `combine` letting its successor (the o projection) launch at its start
# (.carry/s24c) against call 6's build (.carry/s24b), each through benches/figures_128k.sh into
# its own folder (tuned and refined afresh), C then B.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s24c s24b; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
for b in s24c s24b; do
  rm -rf /tmp/c7-$b; SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c7-$b 2>&1 | sed "s/^/$b: /"
  rm -rf /tmp/c7-$b/tune/cubin
done
tar czf $OUT/c7.tgz -C /tmp c7-s24c c7-s24b
