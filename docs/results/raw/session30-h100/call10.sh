# Session 30, call 10 (after calls 6-9 staged parts 1-4; build s30d = s30a with chunk_attention's
# `tma` declared 1 first, so the untuned default on sm_90 is the TMA path): SmolLM2 assembled;
# SpecAttn against `full` on every licence text of the machine (lossless tokens and the
# acceptance), untuned kernels as in session 28's call 14 — the verification now on TMA.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
o=/tmp/c10; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s30d/sdec.gz > $b/sdec && chmod +x $b/sdec
export SDEC_TUNE_DIR=$o/tune
SDEC=$b/sdec SDEC_MODEL_DIR=/tmp/sdec-model/models OUT=$o timeout 480 bash benches/spec_accept_licenses.sh > $o/licences-run.txt 2>&1
echo "licences exit $?"; cut -c1-220 $o/licences-run.txt
grep -h "chunk_attention" $o/*/spec-*.err 2>/dev/null | sort | uniq -c | head -5
rm -rf $o/tune; find $o -name "*.json" -size +200k -delete; tar czf $OUT/c10.tgz -C /tmp c10
