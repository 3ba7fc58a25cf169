# Session 30, call 12 (build s30a on call 2's tuned and refined cache): `lychee` b1 refined again
# with 6 candidates an entry (call 2: 3), then `full` and `lychee` at 128K b1 as in call 2.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c12; rm -rf $o; mkdir -p $o/tune
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30a/sdec.gz > $b/sdec && chmod +x $b/sdec
gunzip -c .carry/s30e/tune-all.json.gz > $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
s=$(date +%s); timeout 300 $b/sdec tune --refine "$lychee" --refine-candidates 6 > $o/refine-lychee6.txt 2>&1
echo "refine exit $? in $(( $(date +%s) - s )) s: $(grep 'a step with' $o/refine-lychee6.txt | tail -1)"
grep -E "^\|" $o/refine-lychee6.txt | grep -v "as cached" | cut -c1-260
timeout 150 $b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy "$lychee" \
    --steps 32 --warmup 5 --launch graph --json $o/decode.json > $o/decode.txt 2>&1
echo "decode exit $?"; grep -E "^\|" $o/decode.txt
gzip -c $o/tune/tune.json > $o/tune-refined6.json.gz; rm -rf $o/tune; tar czf $OUT/c12.tgz -C /tmp c12
