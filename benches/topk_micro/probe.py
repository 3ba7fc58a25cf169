#!/usr/bin/env python3
"""Writes a copy of a top-k variant whose `topk_resident` records clock64 stamps (thread 0 of each
CTA) at its phase boundaries, for run.py to print the median cycles between them:

  python3 benches/topk_micro/probe.py [VARIANT.cu] OUT.cu

Stamps: 0 entry, 1 after the warp bounds (the row's load is waited for there), 2 after the
barrier that shares them, 3 after the select, 4 after the barrier of the output counts, 5 end.
"""
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from render import FAMILY  # noqa: E402

STAMPS = [
    (r"u32 key\[ITEMS\], valid = 0;", 0),
    (r"warp_bound\(key, valid, c, bound, high\);", 1),
    (r"__syncthreads\(\);", 2),  # the kernel's first barrier
    (r"const Select s = select_\w+\([^;]*\);", 3),
    (r"wsum\[warp\] = \w+;\n\s*__syncthreads\(\);", 4),
]
DECLARE = """__device__ unsigned long long sdec_probe[64 * 16];
#define SDEC_STAMP(i) do { if (threadIdx.x == 0 && blockIdx.x < 64) sdec_probe[blockIdx.x * 16 + (i)] = clock64(); } while (0)
"""


def main():
    *variant, out = sys.argv[1:]
    src = pathlib.Path(variant[0] if variant else FAMILY).read_text()
    start = src.index('extern "C" __global__ void __launch_bounds__(THREADS) topk_resident(')
    end = src.index("// ---- CLUSTER", start)
    kernel = src[start:end]
    used = 0
    for pattern, _ in STAMPS:
        found = re.search(pattern, kernel)
        if not found:  # e.g. the output's barrier inside a helper: that stamp is left out
            print(f"probe.py: no anchor {pattern!r} in topk_resident; stamps renumbered", file=sys.stderr)
            continue
        kernel = kernel[: found.end()] + f"\n    SDEC_STAMP({used});" + kernel[found.end():]
        used += 1
    body = kernel.rstrip()
    assert body.endswith("}")
    # A return before the end (an early output path) records the last stamp too.
    kernel = re.sub(r"\n(\s*)return;", rf"\n\1SDEC_STAMP({used});\n\1if (threadIdx.x == 0) sdec_probe[blockIdx.x * 16 + 15] = {used + 1};\n\1return;", body[:-1])
    kernel = kernel + f"    SDEC_STAMP({used});\n    if (threadIdx.x == 0) sdec_probe[blockIdx.x * 16 + 15] = {used + 1};\n}}\n\n"
    pathlib.Path(out).write_text(src[:start] + DECLARE + kernel + src[end:])


if __name__ == "__main__":
    main()
