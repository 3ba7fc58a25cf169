#!/usr/bin/env bash
# Session 24 call 8: `mma` = 3's producer issuing a dense item's first round of units (rows below
# the step's new token) before it waits for the q|k|v product, which now lets it launch once its
# weights are read (.carry/s24d), against call 6's build (.carry/s24b): the gather fuzz, `sdec
# check`, then benches/figures_128k.sh for each build into its own folder, D then B.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s24d s24b; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
o=/tmp/c8; rm -rf $o; mkdir -p $o
timeout 100 /tmp/s24d/sdec fuzz --family gather_attention --cases 1500 --seed 2408 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
timeout 60 /tmp/s24d/sdec check --model synthetic:tiny --policy lychee --graph > $o/check.txt 2>&1; echo "check rc $?"; grep -E "^(PASS|FAIL)" $o/check.txt
for b in s24d s24b; do
  rm -rf /tmp/c8-$b; SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c8-$b 2>&1 | sed "s/^/$b: /" | grep -v -- "---"
  rm -rf /tmp/c8-$b/tune/cubin
done
tar czf $OUT/c8.tgz -C /tmp c8 c8-s24d c8-s24b
