#!/usr/bin/env python3
"""Registers and shared memory of `linear`'s b1 configurations without a GPU: renders
kernels-gen/cuda/linear.cu (or each FILE given, e.g. an older revision from `git show
REV:kernels-gen/cuda/linear.cu > old.cu`) with the decode step's b1 constants, compiles it with
the project's NVRTC to a CUBIN and reads `cuobjdump -res-usage` (the helpers of
benches/topk_micro/sass.py; cuobjdump from PyPI's nvidia-cuda-cuobjdump).

  LD_LIBRARY_PATH=.sdec/nvrtc/nvidia/cu13/lib python3 benches/linear_micro/regs.py [FILE.cu ...]
(docs/results/decode.md section 24)"""
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benches" / "topk_micro"))
from sass import cubin, cuobjdump  # noqa: E402

# The step's b1 products (IN_MODE, OUT_MODE as kernels-gen/src/linear.rs codes them) and the
# configurations the tuner picked for them (docs/results/decode.md section 24).
CASES = {
    "qkv rows 2 unroll 4 t256": dict(IN_MODE=2, OUT_MODE=4, ROWS=2, UNROLL=4, THREADS=256),
    "o rows 1 unroll 4 t256": dict(IN_MODE=0, OUT_MODE=2, ROWS=1, UNROLL=4, THREADS=256),
    "gate-up rows 2 unroll 4 t256": dict(IN_MODE=2, OUT_MODE=3, ROWS=2, UNROLL=4, THREADS=256),
    "gate-up rows 4 unroll 2 t128": dict(IN_MODE=2, OUT_MODE=3, ROWS=4, UNROLL=2, THREADS=128),
    "down rows 1 unroll 4 t256": dict(IN_MODE=1, OUT_MODE=2, ROWS=1, UNROLL=4, THREADS=256),
    # The tensor-core path at SpecAttn's seven verify rows (the tuner's b7 picks, session 25).
    "b7 qkv rows 1 unroll 2 t256": dict(IN_MODE=2, OUT_MODE=4, ROWS=1, UNROLL=2, THREADS=256, MMA=1, BATCH=7),
    "b7 o rows 2 unroll 2 t512": dict(IN_MODE=0, OUT_MODE=2, ROWS=2, UNROLL=2, THREADS=512, MMA=1, BATCH=7),
    "b7 gate-up rows 4 unroll 2 t128": dict(IN_MODE=2, OUT_MODE=3, ROWS=4, UNROLL=2, THREADS=128, MMA=1, BATCH=7),
    "b7 down rows 2 unroll 2 t512": dict(IN_MODE=1, OUT_MODE=2, ROWS=2, UNROLL=2, THREADS=512, MMA=1, BATCH=7),
}


def dump(body, constants, flag):
    """`cuobjdump FLAG` of linear.cu's text `body` rendered with `constants` (b1 on CUDA cores
    unless they say otherwise)."""
    header = "\n".join(f"constexpr int {k} = {v};" for k, v in {"MMA": 0, "BATCH": 1, **constants}.items())
    data = cubin(header + "\n" + (ROOT / "kernels-gen" / "cuda" / "common.cuh").read_text() + body)
    with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as f:
        f.write(data)
    try:
        return subprocess.run([cuobjdump(), flag, f.name], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)


def usage(body, constants):
    return next(line.strip() for line in dump(body, constants, "-res-usage").splitlines() if "REG:" in line)


def main():
    files = sys.argv[1:] or [str(ROOT / "kernels-gen" / "cuda" / "linear.cu")]
    for name, constants in CASES.items():
        for path in files:
            print(f"{name} | {path} | {usage(pathlib.Path(path).read_text(), constants)}")


if __name__ == "__main__":
    main()
