#!/usr/bin/env bash
# The kernel timeline of one decode step inside its CUDA graph, under Nsight Systems (graph
# nodes traced): each kernel's start, duration and stream, to see what runs beside what (e.g.
# LycheeDecode's side-stream selection against the projections).
#   benches/step_timeline.sh OUT [POLICY] [BATCH] [CONTEXT]     (GPU machine; SDEC = the binary)
# Writes OUT/step-bBATCH.csv (the last step's kernels) and OUT/run-bBATCH.txt. Needs Nsight
# Systems: the `device` tool's H100 machine has none (session 17), so it says so and exits 1.
set -euo pipefail
out=${1:?usage: step_timeline.sh OUT [POLICY] [BATCH] [CONTEXT]}
policy=${2:-lychee:heads=docs/results/llama8b-heads-9pct.json}
batch=${3:-2}
ctx=${4:-128k}
S=${SDEC:-target/release/sdec}
mkdir -p "$out"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1 || true)
[ -n "$nsys" ] || { echo "step_timeline.sh: no nsys on this machine" >&2; exit 1; }
tmp=$(mktemp -d)
"$nsys" profile -o "$tmp/step" --force-overwrite true --cuda-graph-trace=node -t cuda \
    "$S" bench decode --model synthetic:llama-3.1-8b --contexts "$ctx" --batch "$batch" --policy "$policy" \
    --steps 6 --warmup 2 --launch graph > "$out/run-b$batch.txt" 2>&1
"$nsys" stats --report cuda_gpu_trace --format csv -o "$tmp/trace" "$tmp/step.nsys-rep" > /dev/null
python3 - "$tmp/trace_cuda_gpu_trace.csv" "$out/step-b$batch.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("Name")]
kernels = [r for r in rows if not any(t in r["Name"].lower() for t in ("memcpy", "memset"))]
# The last step: from its `embed` to the end of the trace.
starts = [i for i, r in enumerate(kernels) if r["Name"].startswith("embed")]
if not starts:
    sys.exit("no `embed` kernel in the trace: not a decode step's graph?")
last = kernels[starts[-1]:]
keys = [k for k in ("Start (ns)", "Duration (ns)", "Strm", "Name") if k in last[0]]
with open(sys.argv[2], "w") as f:
    w = csv.writer(f)
    w.writerow(keys)
    for r in last:
        w.writerow([r[k] for k in keys])
print(f"{len(last)} kernels in the last step -> {sys.argv[2]}")
PY
