# Session 31, call 4 (build s31b: the tuner's short kernels timed as several launches a run).
# Issue 5's figures as benches/figures_128k.sh makes them (every family tuned afresh, refined for
# full, lychee and SpecAttn, then the 128K decode bench at batch 1 and 2).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c4; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s31b/sdec.gz > $b/sdec && chmod +x $b/sdec
SPEC=1 SDEC=$b/sdec bash benches/figures_128k.sh $o/fig
grep -E "b1-ctx128k-specattn|b1-q7-ctx128k" $o/fig/tune-all.txt | cut -c1-200
grep -A4 "SpecAttn rounds" $o/fig/decode.txt
gzip -c $o/fig/tune/tune.json > $o/fig/tune-all.json.gz
rm -rf $o/fig/tune; tar czf $OUT/c4.tgz -C /tmp c4
