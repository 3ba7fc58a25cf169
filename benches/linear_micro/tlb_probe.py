#!/usr/bin/env python3
"""Why a product runs slower inside the decode step's graph than when the tuner times it alone.

The tuner times a shape whose weights exceed twice the L2 (the b1 gate|up, 235 MB) on one weight
copy, launch after launch; inside the step, 16 GB of other weights pass between two uses of a
matrix. This times one configuration of each shape under three conditions, interleaved run by
run (GPU machine, CuPy; the kernel as `run.py` renders it):

  same    every launch reads the copy the previous launch of this condition read (the tuner);
  other   launches alternate between two copies, and 1 GB of other memory is read before each
          (the step: nothing of this matrix is left in L2 or in the address translation caches);
  touch   as `other`, then a one-warp kernel loads one 4-byte word of every 2 MB page of the copy
          about to be used (the translations warm, 0.0002% of the bytes) before the timed launch.

If `touch` recovers `same`'s time, the step loses it to address translation, not to bytes.

  python3 benches/linear_micro/tlb_probe.py [--runs N] [--shapes b1-gate-up,...] [--config t256r2u4]
"""
import argparse
import os
import sys

import cupy as cp
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from render import ctas, render  # noqa: E402
from run import AHEAD_CYCLES, SPIN, Problem  # noqa: E402

PAGE = 2 << 20
TOUCH = r'''
extern "C" __global__ void touch_pages(const unsigned int* base, unsigned long long words, unsigned long long stride, unsigned int* sink) {
    unsigned int acc = 0;
    for (unsigned long long i = threadIdx.x * stride; i < words; i += blockDim.x * stride) acc += __ldcg(base + i);
    if (acc == 0x12345678u) *sink = acc;  // keeps the loads
}
extern "C" __global__ void read_all(const float4* buf, unsigned long long n, float* sink) {
    float acc = 0.f;
    for (unsigned long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) acc += __ldcs(buf + i).x;
    if (acc == 1234.5f) *sink = acc;
}
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--shapes", default="b1-gate-up,b1-qkv,b1-o,b1-down")
    ap.add_argument("--config", default="t256r2u4")
    args = ap.parse_args()
    threads, rows, unroll = (int(x) for x in args.config[1:].replace("r", " ").replace("u", " ").split())
    rng = np.random.default_rng(5)
    spin = cp.RawModule(code=SPIN).get_function("sdec_spin")
    helpers = cp.RawModule(code=TOUCH)
    touch, read_all = helpers.get_function("touch_pages"), helpers.get_function("read_all")
    other = cp.ones(1 << 28, cp.float32)  # 1 GB read before each `other` and `touch` launch
    sink = cp.zeros(4, cp.uint32)
    for name in args.shapes.split(","):
        p = Problem(name, rng)
        c = dict(THREADS=threads, ROWS=rows, UNROLL=unroll, MMA=0)
        kernel = cp.RawModule(code=render(None, dict(c, BATCH=p.batch, IN_MODE=p.in_mode, OUT_MODE=p.out_mode)),
                              options=("--std=c++17", "-default-device")).get_function("linear")
        failure = p.check(kernel, c)
        if failure:
            print(f"WRONG {name}: {failure}")
            continue
        grid = ctas(p.out_dim, threads, rows, 0)
        w = p.w[:2]
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        samples = {"same": [], "other": [], "touch": []}
        for run in range(args.runs + 3):
            for cond in samples:
                copy = w[0] if cond == "same" else w[run % 2]
                if cond != "same":
                    read_all((1024,), (256,), (other, np.uint64(other.size // 4), sink))
                spin((1,), (1,), (np.int64(AHEAD_CYCLES),))
                if cond == "touch":
                    touch((1,), (32,), (copy, np.uint64(copy.nbytes // 4), np.uint64(PAGE // 4), sink))
                start.record()
                kernel((grid,), (threads,), (copy, p.x, p.gamma, p.y, np.int32(p.out_dim), np.int32(p.in_dim), np.float32(1e-5),
                                             *[np.uint64(0)] * 4, *[np.int32(0)] * 4))
                stop.record()
                stop.synchronize()
                if run >= 3:
                    samples[cond].append(cp.cuda.get_elapsed_time(start, stop) * 1000.0)
        pages = -(-p.weight_bytes // PAGE)
        print(f"{name} ({p.weight_bytes / 1e6:.0f} MB, {pages} pages of 2 MB) {args.config}: "
              + ", ".join(f"{cond} {np.median(s):.2f} us (p10 {np.percentile(s, 10):.2f})" for cond, s in samples.items()), flush=True)
        del p


if __name__ == "__main__":
    main()
