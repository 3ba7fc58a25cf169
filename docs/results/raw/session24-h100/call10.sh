#!/usr/bin/env bash
# Session 24 call 10: `linear` asking L2 for its first step (as before this session) instead of
# loading it into registers, still a dependent that waits after it and lets the next launch once
# its weights are read (.carry/s24e), against .carry/s24b: linear fuzz, the b1 projections alone,
# then benches/figures_128k.sh for each build into its own folder, E then B.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s24e s24b; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
o=/tmp/c10; rm -rf $o; mkdir -p $o
timeout 60 /tmp/s24e/sdec fuzz --family linear --cases 300 --seed 2410 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
shapes=llama8b-b1-qkv,llama8b-b1-o,llama8b-b1-gate-up,llama8b-b1-down
timeout 60 /tmp/s24e/sdec tune --family linear --shapes $shapes --cache $o/cache-linear > $o/linear.txt 2>&1; grep "llama8b" $o/linear.txt | cut -d'|' -f3-6
for b in s24e s24b; do
  rm -rf /tmp/c10-$b; SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c10-$b 2>&1 | sed "s/^/$b: /" | grep -v -- "---"
  rm -rf /tmp/c10-$b/tune/cubin
done
rm -rf $o/cache-linear/cubin; tar czf $OUT/c10.tgz -C /tmp c10 c10-s24e c10-s24b
