# Session 36, call 10 (after calls 6-9 staged parts 1-4): SmolLM2 assembled; SpecAttn against
# `full` on every licence text of the machine (benches/spec_accept_licenses.sh: lossless tokens
# and the acceptance), build s36g (8-bit verify logits, blocks of 128), untuned kernels as in
# session 30's call 10 (whose 6.095 main's figures use).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
o=/tmp/c10; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s36g/sdec.gz > $b/sdec-g && chmod +x $b/sdec-g
export SDEC_TUNE_DIR=$o/tune
SDEC=$b/sdec-g SDEC_MODEL_DIR=/tmp/sdec-model/models OUT=$o timeout 540 bash benches/spec_accept_licenses.sh > $o/licences-run.txt 2>&1
echo "licences exit $?"; cut -c1-220 $o/licences-run.txt
rm -rf $o/tune; find $o -name "*.json" -size +200k -delete; tar czf $OUT/c10.tgz -C /tmp c10
