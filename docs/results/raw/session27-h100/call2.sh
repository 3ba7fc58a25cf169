#!/usr/bin/env bash
# Session 27 call 2. Build s27b: s27a (call 1) + the acceptance's host copy waited for by its own
# event (s27a read it before the copy landed: gpu_decode's two SpecAttn tests failed) + every
# draft step the same CUDA graph (each step adds its own position to the lists on the device;
# no capture before a round's first draft). Fuzz, GPU tests, then call 1's cache and `full` +
# SpecAttn at 128K b1 on s27m (main) and s27b alternated twice, and a CUPTI round on s27b.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c2; rm -rf $o; mkdir -p $o/tune
for b in s27m s27b; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
B=/tmp/s27b/sdec
timeout 90 $B fuzz --family spec --cases 800 --seed 2702 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
grep -m3 FAIL $o/fuzz-*.txt
mkdir -p /tmp/t && cp benches/gpu_tests.sh /tmp/t/ && for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s27b/tests/$t.gz > /tmp/t/$t; chmod +x /tmp/t/$t; done
bash /tmp/t/gpu_tests.sh $o/tests
grep -E "panicked|FAILED" -A3 $o/tests/gpu_decode.txt | head -20
cp .carry/c27tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
for b in s27b s27m; do s=$(date +%s); timeout 200 /tmp/$b/sdec tune --family all > $o/tune-all-$b.txt 2>&1; echo "$b tune all exit $? in $(( $(date +%s) - s )) s"; done
for r in 1 2; do for b in s27m s27b; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/dec-$b-$r.json > $o/dec-$b-$r.txt 2>&1
  echo "$b run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$b-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$b-$r.txt | tail -1
done; done
PASSES=7 SDEC=$B timeout 120 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/trace.txt 2>&1; echo "trace exit $?"
python3 - <<'PY'
import csv
ev = sorted((float(r["offset_us"]), float(r["duration_us"]), r["name"]) for r in csv.DictReader(open("/tmp/c2/trace/step-b1.csv")))
for s, d, n in ev[:4] + ev[-8:]: print(f"{s:10.1f} {d:8.1f} {n}")
print("argmax", [round(d, 2) for s, d, n in ev if n == "argmax"])
PY
rm -rf $o/tune/cubin; gzip $o/trace/trace-b1.csv; rm -f $o/trace/*.so; tar czf $OUT/c2.tgz -C /tmp c2
