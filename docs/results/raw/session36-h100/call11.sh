# Session 36, call 11 (SmolLM2 still in /tmp from call 10): SpecAttn against
# `full` on every licence text of the machine (benches/spec_accept_licenses.sh: lossless tokens
# and the acceptance), build s36a (main, fp16 verify logits) on the same machine as call 10, untuned kernels as in
# session 30's call 10 (whose 6.095 main's figures use).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
ls /tmp/sdec-model/models || exit 1
o=/tmp/c11; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s36a/sdec.gz > $b/sdec-a && chmod +x $b/sdec-a
export SDEC_TUNE_DIR=$o/tune
SDEC=$b/sdec-a SDEC_MODEL_DIR=/tmp/sdec-model/models OUT=$o timeout 540 bash benches/spec_accept_licenses.sh > $o/licences-run.txt 2>&1
echo "licences exit $?"; cut -c1-220 $o/licences-run.txt
rm -rf $o/tune; find $o -name "*.json" -size +200k -delete; tar czf $OUT/c11.tgz -C /tmp c11
