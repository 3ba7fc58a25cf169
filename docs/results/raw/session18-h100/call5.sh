#!/usr/bin/env bash
# Session 18 call 5 (carry .carry/m2 and .carry/s18d, the build of call 3): SmolLM2 assembled;
# SpecAttn's acceptance on real text with the acceptance decided on the device — every licence
# text at 8000 characters (benches/spec_accept_licenses.sh, as session 8's 6.096), each run's
# tokens against `full`'s, and its decode time per token.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
scripts/device-model.sh assemble || exit 1
export SDEC_MODEL_DIR=/tmp/sdec-model/models
mkdir -p /tmp/s18 && cp .carry/s18d/sdec /tmp/s18/sdec
o=/tmp/c5; mkdir -p $o/acc
SDEC=/tmp/s18/sdec OUT=$o/acc timeout 500 benches/spec_accept_licenses.sh > $o/acc.txt 2>&1
echo "licences exit $?"; tail -13 $o/acc.txt | cut -c1-220
tar czf $OUT/call5.tgz -C /tmp c5
