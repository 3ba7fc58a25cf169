#!/usr/bin/env bash
# The kernel benchmarks of docs/results/kernels.md, ours beside PyTorch's in one run.
# On the GPU machine, with the sdec binary in $SDEC (default target/release/sdec):
#   benches/kernels.sh OUTDIR [FAMILY...]      (no FAMILY: every family)
# LAUNCH=graph times both sides' runs inside CUDA graphs of consecutive runs (default: stream).
# SHAPE=TEXT benchmarks only our shapes whose label contains TEXT (e.g. SHAPE=4096 for the
# issue's gathers; every family's whole space at every shape takes over 5 minutes).
set -euo pipefail
out="${1:-.}"
shift || true
families=()
for f in "$@"; do families+=(--family "$f"); done
sdec="${SDEC:-target/release/sdec}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$out/gpu.txt"
launch="${LAUNCH:-stream}"
graph=()
[ "$launch" = graph ] && graph=(--graph)
python3 "$(dirname "$0")/torch_peers.py" ${families[@]+"${families[@]}"} ${graph[@]+"${graph[@]}"} > "$out/torch.json"
shape=()
[ -n "${SHAPE:-}" ] && shape=(--shape "$SHAPE")
"$sdec" bench kernels --launch "$launch" ${families[@]+"${families[@]}"} ${shape[@]+"${shape[@]}"} --peers "$out/torch.json" --json "$out/sdec.json" | tee "$out/table.md"
