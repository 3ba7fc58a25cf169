#!/usr/bin/env bash
# Session 19 call 16: which kernel cuBLAS (through torch) runs for the seven-row gate|up product
# that it does in 85.7 us against linear's 93.8 (call 10), and its launch shape: the model for a
# TMA + wgmma path (status.md, next steps).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
mkdir -p $OUT/call16
cat > /tmp/peer.py <<'PY'
import torch
x = torch.randn(7, 4096, device="cuda", dtype=torch.bfloat16)
for out in (28672, 6144, 4096):
    w = torch.randn(out, 4096, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        torch.nn.functional.linear(x, w)
x = torch.randn(7, 14336, device="cuda", dtype=torch.bfloat16)
w = torch.randn(4096, 14336, device="cuda", dtype=torch.bfloat16)
for _ in range(3):
    torch.nn.functional.linear(x, w)
torch.cuda.synchronize()
PY
ncu --section LaunchStats --section SpeedOfLight --section Occupancy --section MemoryWorkloadAnalysis \
    python3 /tmp/peer.py > $OUT/call16/ncu-cublas-b7.txt 2>&1
grep -E "^  [a-zA-Z_0-9]+.*\(|Duration|Grid Size|Block Size|Registers Per|Shared Memory Config|Dynamic Shared|Static Shared|DRAM Throughput|Achieved Occupancy|Waves Per SM" $OUT/call16/ncu-cublas-b7.txt | head -120
