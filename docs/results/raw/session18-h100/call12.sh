#!/usr/bin/env bash
# Session 18 call 12: `attend` asking L2 for its first K/V rows before it waits for `rope_append`
# (SDEC_ATTEND_PREFETCH=1; rope_append now lets it launch at its start) against 0, one binary, one cache
# (session 16's refined cache, every stale entry retuned: the attention and glue families'
# sources changed), alternated twice; `sdec check` on synthetic:tiny with it on.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18j
o=/tmp/c12; mkdir -p $o/tune
cp $C/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
timeout 200 $C/sdec tune --family all --budget-s 190 > $o/tune.txt 2>&1; echo "tune exit $?: $(tail -1 $o/tune.txt)"
SDEC_ATTEND_PREFETCH=1 timeout 90 $C/sdec check --model synthetic:tiny --policy full --policy lychee --prompt-tokens 200 --steps 24 --seed 1 --graph > $o/check.txt 2>&1
echo "check exit $?"; grep -E "^(PASS|FAIL)" $o/check.txt
SDEC_ATTEND_PREFETCH=1 timeout 120 $C/sdec fuzz --family gather_attention --family decode_attention --cases 300 --seed 1812 > $o/fuzz.txt 2>&1
echo "fuzz exit $?: $(tail -1 $o/fuzz.txt)"
for r in 1 2; do for v in 0 1; do
    SDEC_ATTEND_PREFETCH=$v timeout 150 $C/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 \
        --policy full --policy lychee:heads=docs/results/llama8b-heads-9pct.json --policy specattn \
        --steps 16 --warmup 3 --launch graph --json $o/decode-$v-$r.json > $o/decode-$v-$r.txt 2>&1
    echo "PREFETCH=$v run $r exit $?:"; grep -E "^\| (full|lychee|specattn|1) " $o/decode-$v-$r.txt | cut -d'|' -f2-8
done; done
tar czf $OUT/call12.tgz --exclude=tune -C /tmp c12
