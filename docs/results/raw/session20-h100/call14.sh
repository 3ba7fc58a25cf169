#!/usr/bin/env bash
# Session 20 call 14 (carry .carry/m3; calls 12-13 staged parts 1-2, call 11 left this session's final
# build in /tmp/s20): SmolLM2 assembled; SpecAttn's acceptance on real text with RoPE inside the
# q|k|v product (its sine and cosine now fp32 of an fp64-reduced angle) — every licence text at 8000
# characters (benches/spec_accept_licenses.sh, as sessions 8 and 18: 6.096).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
export SDEC_MODEL_DIR=/tmp/sdec-model/models
[ -f /tmp/s20/sdec ] || { echo "call 11's build is gone"; exit 1; }
o=/tmp/c14; mkdir -p $o/acc
SDEC=/tmp/s20/sdec OUT=$o/acc timeout 500 benches/spec_accept_licenses.sh > $o/acc.txt 2>&1
echo "licences exit $?"; tail -13 $o/acc.txt | cut -c1-220
tar czf $OUT/call14.tgz -C /tmp c14
