#!/usr/bin/env bash
# Session 18 call 6 (carry .carry/m3; calls 4-5 staged parts 1-2 and the build of call 3):
# SmolLM2 assembled;
# SpecAttn's acceptance on real text with the acceptance decided on the device — every licence
# text at 8000 characters (benches/spec_accept_licenses.sh, as session 8's 6.096), each run's
# tokens against `full`'s, and its decode time per token.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
export SDEC_MODEL_DIR=/tmp/sdec-model/models
[ -f /tmp/s18/sdec ] || { echo "call 5's build is gone"; exit 1; }
o=/tmp/c6; mkdir -p $o/acc
SDEC=/tmp/s18/sdec OUT=$o/acc timeout 500 benches/spec_accept_licenses.sh > $o/acc.txt 2>&1
echo "licences exit $?"; tail -13 $o/acc.txt | cut -c1-220
tar czf $OUT/call6.tgz -C /tmp c6
