# Session 34, call 4: the `lychee` step graph's join order (build s34c = s34b + join-order.diff:
# with SDEC_LYCHEE_JOIN=reverse each join puts the side stream's node first in the capturing
# stream's dependencies). CUPTI timelines of one step each way (internal streams, the gap after
# `embed`), then the two alternating (benches/decode_ab.sh, one binary), on the re-keyed cache.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c4; rm -rf $o; mkdir -p $o
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s34c/sdec.gz > $b/sdec-c && chmod +x $b/sdec-c
mkdir -p $o/base && gunzip -c docs/results/raw/session33-h100/call10/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec-c $o/base $o/tune || exit 1
export SDEC_TUNE_DIR=$o/tune
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
for j in plain reverse; do
    SDEC_LYCHEE_JOIN=$j SDEC_LYCHEE_JOIN_DEBUG=1 TAG=$j SDEC=$b/sdec-c timeout 120 bash benches/cupti_trace/run.sh $o/trace "$lychee" 1 128k > $o/trace-$j.txt 2>&1
    echo "trace $j exit $?"; sed -n 3,6p $o/trace-$j.txt
    grep -m3 "^join" $o/trace/run-b1-$j.txt
    python3 - $o/trace/trace-b1-$j.csv <<'PY'
import csv, sys
rows = sorted((int(r["start_ns"]), int(r["end_ns"]), r["stream"], r["name"]) for r in csv.DictReader(open(sys.argv[1])))
step = rows[[i for i, r in enumerate(rows) if r[3] == "embed"][-1]:]
t0 = step[0][0]
print("streams in the last step:", len({r[2] for r in step}))
for r in step[:6]: print(f"  {(r[0] - t0) / 1e3:8.2f} {(r[1] - r[0]) / 1e3:8.2f} {r[2]:>4} {r[3]}")
PY
done
mkdir -p $o/wrap; for j in plain reverse; do printf '#!/bin/sh\nSDEC_LYCHEE_JOIN=%s exec %s "$@"\n' $j $b/sdec-c > $o/wrap/$j; chmod +x $o/wrap/$j; done
FAMILIES="" BATCH=1 ROUNDS=2 STEPS=48 POLICIES="full $lychee" \
    timeout 300 bash benches/decode_ab.sh $o/wrap/plain $o/tune $o/wrap/reverse $o/tune $o/ab
echo "ab exit $?"
rm -rf $o/tune/cubin $o/base; rm -f $o/trace/libsdec_trace.so; gzip $o/trace/*.csv; tar czf $OUT/c4.tgz -C /tmp c4
