#!/usr/bin/env bash
# The kernel benchmarks of docs/results/kernels.md, ours beside PyTorch's in one run.
# On the GPU machine, with the sdec binary in $SDEC (default target/release/sdec):
#   benches/kernels.sh OUTDIR [FAMILY...]      (no FAMILY: every family)
set -euo pipefail
out="${1:-.}"
shift || true
families=()
for f in "$@"; do families+=(--family "$f"); done
sdec="${SDEC:-target/release/sdec}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$out/gpu.txt"
python3 "$(dirname "$0")/torch_peers.py" ${families[@]+"${families[@]}"} > "$out/torch.json"
"$sdec" bench kernels ${families[@]+"${families[@]}"} --peers "$out/torch.json" --json "$out/sdec.json" | tee "$out/table.md"
