#!/usr/bin/env bash
# Session 27 call 6. Build s27f: s27e + each draft step keeps its own input token in the verify
# chunk (spec_draft_begin; no copy between draft steps or before the first) + the acceptance's
# host copy on a stream of its own (the selection no longer waits behind it). Spec fuzz, GPU
# tests, then call 5's refined cache and `full` + SpecAttn at 128K b1, s27e and s27f alternated
# three times; a CUPTI round of s27f.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c6; rm -rf $o; mkdir -p $o/tune
for b in s27e s27f; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
F=/tmp/s27f/sdec
timeout 90 $F fuzz --family spec --cases 1000 --seed 2706 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
grep -m3 FAIL $o/fuzz-*.txt
mkdir -p /tmp/t && cp benches/gpu_tests.sh /tmp/t/ && for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s27f/tests/$t.gz > /tmp/t/$t; chmod +x /tmp/t/$t; done
bash /tmp/t/gpu_tests.sh $o/tests
grep -E "panicked|FAILED" -A3 $o/tests/gpu_decode.txt | head -20
cp .carry/c5tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
for r in 1 2 3; do for b in s27e s27f; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/dec-$b-$r.json > $o/dec-$b-$r.txt 2>&1
  echo "$b run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$b-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$b-$r.txt | tail -1
done; done
PASSES=7 SDEC=$F timeout 120 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/trace.txt 2>&1; echo "trace exit $?"
python3 - <<'PY'
import csv
ev = sorted((float(r["offset_us"]), float(r["duration_us"]), r["name"]) for r in csv.DictReader(open("/tmp/c6/trace/step-b1.csv")))
prev = None
for i, (s, d, n) in enumerate(ev):
    if prev and n in ("spec_draft_begin", "embed", "spec_accept", "spec_score_logits", "topk_cluster", "spec_tokens") or (prev and n == "chunk_attend" and ev[i-2][2] != "linear"):
        print(f"{i:5d} {s:10.1f} {d:8.2f} {n:18s} gap {s - prev[0] - prev[1]:6.2f}")
    prev = (s, d, n)
PY
rm -rf $o/tune/cubin; gzip $o/trace/trace-b1.csv; rm -f $o/trace/*.so; tar czf $OUT/c6.tgz -C /tmp c6
