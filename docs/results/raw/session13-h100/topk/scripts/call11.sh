#!/usr/bin/env bash
# Call 11 (session 13): topk.cu with grouped picks (new) against HEAD (old) and v6 (digit 0's
# extremes settle classes of 2-3 keys); sdec built from the new topk.cu: fuzz + bench.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
m=.carry/m
python3 benches/topk_micro/run.py --runs 300 --json $OUT/micro11.json old=$m/old.cu new=- v6=$m/v6.cu v6b8=$m/v6.cu:DIGIT_BITS=8 \
  newp=$m/newp.cu v6p=$m/v6p.cu 2>&1 | tee $OUT/micro11.txt
timeout 200 $m/sdec fuzz --family topk --cases 3000 --seed 1301 > $OUT/fuzz.txt 2>&1; echo "fuzz rc $?"; tail -1 $OUT/fuzz.txt; grep -A1 '^FAIL' $OUT/fuzz.txt | head -6
$m/sdec bench kernels --family topk --shape "2048]" --json $OUT/bench-new.json 2>&1 | tail -2
