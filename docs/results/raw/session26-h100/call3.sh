#!/usr/bin/env bash
# Session 26 call 3 (.carry/s26e: s26d + spec_score_logits reading 8 tokens a thread with 16-byte
# loads): spec fuzz; call 2's cache (.carry/c2tune) re-tuned where a source changed (spec);
# SpecAttn's round at 128K b1 forced to 6 tokens a round, then its CUPTI timeline.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c3; rm -rf $o; mkdir -p $o/tune; b=s26e
mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
timeout 60 /tmp/$b/sdec fuzz --family spec --cases 400 --seed 2603 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
grep -m3 FAIL $o/fuzz-spec.txt
cp .carry/c2tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 230 /tmp/$b/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
timeout 120 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/spec-a6.json > $o/spec-a6.txt 2>&1
echo "spec exit $?"; grep -A3 "SpecAttn rounds" $o/spec-a6.txt | tail -1
PASSES=7 SDEC=/tmp/$b/sdec timeout 120 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/trace.txt 2>&1; echo "trace exit $?"
python3 - <<'PY'
import csv
ev = sorted((float(r["offset_us"]), float(r["duration_us"]), r["name"]) for r in csv.DictReader(open("/tmp/c3/trace/step-b1.csv")))
tail = [e for e in ev if e[0] > ev[-1][0] - 1500]
for s, d, n in tail[-12:]: print(f"{s:10.1f} {d:8.1f} {n}")
PY
rm -rf $o/tune/cubin; gzip $o/trace/trace-b1.csv; rm -f $o/trace/*.so; tar czf $OUT/c3.tgz -C /tmp c3
