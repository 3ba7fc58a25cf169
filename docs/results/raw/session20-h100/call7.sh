#!/usr/bin/env bash
# Session 20 call 7 (carry .carry/s20: call 3's build): why the b1 gate|up product takes 81.5 us inside
# the step's graph (calls 5-6) and 76 us alone (the tuner). Clocks and power sampled throughout;
# the four b1 products alone (benches/linear_micro, the tuner's winners' configuration) beside
# cuBLAS; `full` at 128K b1 traced with CUPTI, as is and with the attention left out.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s20; mkdir -p $C; cp .carry/s20/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
o=/tmp/c7; mkdir -p $o/tune
cp docs/results/raw/session20-h100/call4/base/tune.json $o/tune/tune.json
export SDEC_TUNE_DIR=$o/tune
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_throttle_reasons.active --format=csv -lms 20 > $o/smi.csv 2>&1 &
smi=$!
mark() { echo "$(date +%H:%M:%S.%N) $1" >> $o/marks.txt; }
mark micro-start
timeout 120 python3 benches/linear_micro/run.py --runs 60 --shapes b1-qkv,b1-o,b1-gate-up,b1-down main=-:THREADS=256,ROWS=2,UNROLL=4 > $o/micro.txt 2>&1; echo "micro exit $?"
mark micro-end
tail -12 $o/micro.txt
mark full-start
SDEC=$C/sdec TAG=full timeout 150 benches/cupti_trace/run.sh $o/trace full 1 > $o/summary-full.txt 2>&1; echo "full: exit $?"
mark full-end
SDEC=$C/sdec TAG=noattn BENCH_ARGS="--omit attention" timeout 150 benches/cupti_trace/run.sh $o/trace full 1 > $o/summary-noattn.txt 2>&1; echo "noattn: exit $?"
mark noattn-end
kill $smi
python3 - <<'PY'
import csv, gzip
for tag in ("full", "noattn"):
    rows = list(csv.DictReader(open(f"/tmp/c7/trace/step-b1-{tag}.csv")))
    lin = [float(r["duration_us"]) for r in rows if r["name"] == "linear"]
    layers = [lin[4 * i:4 * i + 4] for i in range(32)]
    print(tag, "step kernels", len(rows), "linear avg qkv/o/gate-up/down:", [round(sum(l[j] for l in layers) / 32, 1) for j in range(4)], "lm-head", lin[128:])
PY
grep -E "^\| full" $o/summary-full.txt $o/summary-noattn.txt | head
rm -f $o/trace/libsdec_trace.so; rm -rf $o/tune; gzip -f $o/trace/*.csv
tar czf $OUT/call7.tgz -C /tmp c7
