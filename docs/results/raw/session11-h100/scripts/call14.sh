#!/usr/bin/env bash
# Session 11: ncu of topk_cluster on the committed build ([64 x 131072] k=2048, items 8).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out=$1; mkdir -p $out
CONFIG='{"threads":1024,"items":8,"ctas_per_row":2,"aggregate":false,"strategy":2,"digit_bits":11}' SDEC=$here/sdec-a timeout 150 bash $here/ncu_topk_cluster.sh $out
echo "rc $?"
grep -E "  Duration|Elapsed Cycles|SM Active Cycles|Instructions Executed  |Warp Cycles Per Issued|Stall (Long|Barrier|Membar|Wait)" $out/details.txt | head -10
gzip $out/sass.csv
