#!/usr/bin/env bash
# Session 27 call 3. Build s27c: s27b + spec_score_logits taking two tokens a thread (a warp
# reads 128 contiguous bytes of a logit row a load), the used rows' lse2 in shared memory and
# exp2 on the special-function unit alone. Spec fuzz; `full` + SpecAttn at 128K b1 on s27b and
# s27c alternated twice on call 2's cache; a CUPTI round and Nsight Compute on the score kernel.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c3; rm -rf $o; mkdir -p $o/tune
for b in s27b s27c; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
C=/tmp/s27c/sdec
timeout 90 $C fuzz --family spec --cases 800 --seed 2703 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
grep -m3 FAIL $o/fuzz-*.txt
cp .carry/c27tune2/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
for r in 1 2; do for b in s27b s27c; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/dec-$b-$r.json > $o/dec-$b-$r.txt 2>&1
  echo "$b run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$b-$r.txt | cut -d'|' -f2,7 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$b-$r.txt | tail -1
done; done
PASSES=7 SDEC=$C timeout 120 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/trace.txt 2>&1; echo "trace exit $?"
python3 - <<'PY'
import csv
ev = sorted((float(r["offset_us"]), float(r["duration_us"]), r["name"]) for r in csv.DictReader(open("/tmp/c3/trace/step-b1.csv")))
for s, d, n in ev[-6:]: print(f"{s:10.1f} {d:8.1f} {n}")
PY
timeout 150 ncu --clock-control none -k regex:spec_score_logits --launch-skip 2 --launch-count 1 \
  --section SpeedOfLight --section Occupancy --section WarpStateStats --section SchedulerStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  -o $o/score -f $C bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn --steps 4 --warmup 1 --launch graph > $o/ncu-run.txt 2>&1
echo "ncu exit $?"
ncu --import $o/score.ncu-rep --print-details all > $o/ncu-score.txt 2>&1; rm -f $o/score.ncu-rep
grep -E "Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Registers Per|Issue Slots Busy|No Eligible|Stall|One or More" $o/ncu-score.txt | head -30
rm -rf $o/tune/cubin; gzip $o/trace/trace-b1.csv; rm -f $o/trace/*.so; tar czf $OUT/c3.tgz -C /tmp c3
