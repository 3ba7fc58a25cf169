# Session 35, call 1: what the verification's logit writes cost. Build s35a (main 3930641 with an
# env probe: SDEC_PROBE_NO_LOGITS=1 makes the capture passes' chunk attention skip its logits,
# on the same tuned configuration; the selection then reads stale logits, so only the timing
# means anything). Session 34 call 12's cache re-keyed to the build; SpecAttn at b1 128K,
# plain and probe alternating (benches/decode_ab.sh, the probe through a wrapper script).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c1; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s35a/sdec.gz > $b/sdec && chmod +x $b/sdec
printf '#!/bin/sh\nSDEC_PROBE_NO_LOGITS=1 exec %s "$@"\n' $b/sdec > $b/sdec-probe; chmod +x $b/sdec-probe
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec $o/base $o/tune || exit 1
FAMILIES="" BATCH=1 ROUNDS=2 STEPS=48 POLICIES="specattn" \
    timeout 400 bash benches/decode_ab.sh $b/sdec $o/tune $b/sdec-probe $o/tune $o/ab
echo "ab exit $?"; grep -h "specattn" $o/ab/decode-*.md | head -20
rm -rf $o/tune/cubin $o/base; tar czf $OUT/c1.tgz -C /tmp c1
