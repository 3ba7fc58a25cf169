# Session 28, call 14 (right after call 13, SmolLM2 still in /tmp; build s28d): SpecAttn against
# `full` on every licence text of the machine (lossless tokens and the acceptance).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
[ -f /tmp/sdec-model/models/SmolLM2-135M-Instruct.Q4_1.gguf ] || { echo "the model is gone (a fresh machine)"; exit 1; }
o=/tmp/c14; rm -rf $o; mkdir -p $o
b=/tmp/b; export SDEC_TUNE_DIR=$o/tune
SDEC=$b/sdec SDEC_MODEL_DIR=/tmp/sdec-model/models OUT=$o timeout 500 bash benches/spec_accept_licenses.sh > $o/licences-run.txt 2>&1
echo "licences exit $?"; cut -c1-200 $o/licences-run.txt
rm -rf $o/tune; find $o -name "*.json" -size +200k -delete; tar czf $OUT/c14.tgz -C /tmp c14
