#!/usr/bin/env bash
# Session 12, call 1: where [64 x 2048] k=64 top-k's time goes. ncu kernel times with caches
# flushed and not, the stall picture of topk_resident, an empty kernel's time (torch's _sleep(0))
# by events and by ncu, and torch.topk's kernels.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
S=${SDEC:-.carry/s/sdec}
out=$OUT/probe1; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > "$out/gpu.txt"
ls /usr/local/cuda/bin > "$out/cuda_bin.txt"
C='{"threads":512,"items":4,"ctas_per_row":1,"aggregate":false,"strategy":3,"digit_bits":11}'
for cc in all none; do
  timeout 60 ncu --clock-control none --cache-control $cc -k regex:topk_resident \
    --metrics gpu__time_duration.sum,sm__cycles_active.max,smsp__inst_executed.sum --csv \
    "$S" bench kernels --family topk --shape "[64 x 2048] k=64" --config "$C" > "$out/ncu_time_$cc.csv" 2>&1
done
timeout 90 ncu --clock-control none -k regex:topk_resident --launch-skip 20 --launch-count 1 \
  --section SpeedOfLight --section LaunchStats --section WarpStateStats --section SourceCounters --section InstructionStats \
  -o "$out/res" -f "$S" bench kernels --family topk --shape "[64 x 2048] k=64" --config "$C" > "$out/ncu_run.txt" 2>&1
ncu --import "$out/res.ncu-rep" --print-details all > "$out/details.txt" 2>&1
ncu --import "$out/res.ncu-rep" --page source --print-source sass --csv > "$out/sass.csv" 2>&1
rm -f "$out/res.ncu-rep"
cat > /tmp/empty.py <<'PY'
import torch, json, sys
from torch.profiler import profile, ProfilerActivity
ev = lambda: torch.cuda.Event(enable_timing=True)
def med(fn, runs=50):
    s=[]
    for i in range(5): fn(i)
    for i in range(runs):
        torch.cuda._sleep(200000); a,b=ev(),ev(); a.record(); fn(i); b.record(); b.synchronize(); s.append(a.elapsed_time(b)*1000)
    s.sort(); return s[len(s)//2], s[0]
xs=[torch.rand(64,2048,device='cuda')*8-4 for _ in range(64)]
res={"empty kernel (_sleep(0))": med(lambda i: torch.cuda._sleep(0)),
     "two empty kernels": med(lambda i: (torch.cuda._sleep(0), torch.cuda._sleep(0))),
     "events only": med(lambda i: None),
     "topk sorted": med(lambda i: torch.topk(xs[i%64],64,dim=-1)),
     "topk unsorted": med(lambda i: torch.topk(xs[i%64],64,dim=-1,sorted=False))}
print(json.dumps(res, indent=1))
with profile(activities=[ProfilerActivity.CUDA]) as p:
    for i in range(20): torch.topk(xs[i],64,dim=-1)
    torch.cuda.synchronize()
print(p.key_averages().table(sort_by="cuda_time_total", row_limit=12))
PY
timeout 60 python3 /tmp/empty.py > "$out/torch.txt" 2>&1
timeout 60 ncu --clock-control none --metrics gpu__time_duration.sum --csv python3 -c "
import torch
xs=[torch.rand(64,2048,device='cuda') for _ in range(4)]
for i in range(12): torch.cuda._sleep(0); torch.topk(xs[i%4],64,dim=-1)
torch.cuda.synchronize()" > "$out/ncu_torch.csv" 2>&1
echo done
