# Session 28, call 13 (after `scripts/device-model.sh stage` calls 10-12 for parts 1 to 3; build
# s28d, the final code): SmolLM2 assembled; every policy on the GPU against the CPU reference,
# step by step (issue 5 §2; decode_attention's new TMA path serves head dim 64 too).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
o=/tmp/c13; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s28d/sdec.gz > $b/sdec && chmod +x $b/sdec
export SDEC_TUNE_DIR=$o/tune
SDEC_MODEL_DIR=/tmp/sdec-model/models timeout 400 $b/sdec check --model smollm2 --policy full --policy lychee:budget=256,block=16 \
    --policy streaming:sink=4,recent=252 --policy quest:budget=256,page=16,dense_layers=1 --policy tidal:budget=256 \
    --policy lfps:budget=256 --prompt-tokens 600 --steps 32 --graph --json $o/check.json > $o/check.txt 2>&1
echo "check exit $?"; grep -v "not tuned" $o/check.txt | tail -25 | cut -c1-220
rm -rf $o/tune; tar czf $OUT/c13.tgz -C /tmp c13
