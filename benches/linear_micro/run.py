#!/usr/bin/env python3
"""`linear` variants at the decode step's shapes side by side, without rebuilding sdec (GPU machine:
CuPy compiles each rendered variant with NVRTC; torch's cuBLAS product runs in the same process).

  python3 benches/linear_micro/run.py [--runs N] [--shapes b7-qkv,...] LABEL=VARIANT.cu[:CONST=V,...] ...

VARIANT is a copy of kernels-gen/cuda/linear.cu ('-' for the file itself; session 19's are kept as
patches in docs/results/raw/session19-h100/variants/); CHECK=0 among the constants skips the check
(a probe whose output is not the product), CARVEOUT=P sets the kernel's preferred shared-memory
carveout (percent: the L1 a step's neighbours leave it). Every valid configuration
of the family's space (threads x rows x unroll, the tensor-core path from batch 2) is run unless the
constants fix some of them. Every (variant, shape, configuration) is first checked against a NumPy
float64 reference on fresh random weights and inputs, its output poisoned (NaN) before the run.
Timing as `sdec bench kernels`: a spin kernel ahead of each timed launch, CUDA events, weight copies
in turn so that their bytes exceed the L2 cache, the candidates interleaved run by run, median; the
byte floor is the weights' bytes over the copy bandwidth measured in the same process.

`--ncu LABEL/SHAPE/CONFIG` runs only that candidate, three times after the checks (for Nsight Compute).
"""
import argparse
import json
import os
import sys

import cupy as cp
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from render import ctas, render, space  # noqa: E402

L2_BYTES = 50 << 20
AHEAD_CYCLES = 200_000
EPS = 1e-5

# name: (batch, out, in, IN_MODE, OUT_MODE) — Llama-3.1-8B's projections as the step runs them.
SHAPES = {
    "b7-qkv": (7, 6144, 4096, 2, 0),
    "b7-o": (7, 4096, 4096, 0, 2),
    "b7-gate-up": (7, 28672, 4096, 2, 3),
    "b7-down": (7, 4096, 14336, 1, 2),
    "b7-lm-head": (7, 128256, 4096, 2, 1),
    "b14-qkv": (14, 6144, 4096, 2, 0),
    "b2-o": (2, 4096, 4096, 0, 2),
    "b7-qkv-bf16": (7, 6144, 4096, 0, 0),
    "b7-gate-up-bf16": (7, 28672, 4096, 0, 3),
    "b1-qkv": (1, 6144, 4096, 2, 0),
    "b1-gate-up": (1, 28672, 4096, 2, 3),
    "b1-o": (1, 4096, 4096, 0, 2),
    "b1-down": (1, 4096, 14336, 1, 2),
    "b1-lm-head": (1, 128256, 4096, 2, 1),
}
SPIN = r'''
extern "C" __global__ void sdec_spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }
'''


def bf16_bits(a):
    """float32 -> bf16 bits, round to nearest even."""
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_value(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


class Problem:
    """Weights (several copies), inputs and the reference of one shape."""

    def __init__(self, name, rng):
        self.name = name
        self.batch, self.out_dim, self.in_dim, self.in_mode, self.out_mode = SHAPES[name]
        w = bf16_bits(rng.standard_normal((self.out_dim, self.in_dim), dtype=np.float32) * 0.05)
        # Every launch of this shape takes the next copy, 3 x L2 of them in turn, so that no launch
        # finds the weights a previous one (of any candidate) left in L2.
        self.copies = max(2, -(-3 * L2_BYTES // w.nbytes))
        self.launches = 0
        self.w = [cp.asarray(w) for _ in range(self.copies)]
        self.weight_bytes = w.nbytes
        x = rng.standard_normal((self.batch, self.in_dim), dtype=np.float32) * 3 + 0.5
        gamma = bf16_bits(rng.random(self.in_dim, dtype=np.float32) + 0.5)
        if self.in_mode == 0:
            x_bits = bf16_bits(x)
            self.x = cp.asarray(x_bits)
            xin = bf16_value(x_bits).astype(np.float64)
        else:
            self.x = cp.asarray(x)
            xin = x.astype(np.float64)
            if self.in_mode == 2:
                inv = 1.0 / np.sqrt((xin * xin).mean(1, keepdims=True) + EPS)
                xin = xin * inv * bf16_value(gamma).astype(np.float64)
        self.gamma = cp.asarray(gamma)
        wf = bf16_value(w).astype(np.float64)
        y = xin @ wf.T  # [batch][out]
        # Per element, the sum of |terms|: fp32 accumulation's error scales with it.
        self.scale = np.abs(xin) @ np.abs(wf).T
        if self.out_mode == 2:
            self.y0 = rng.standard_normal((self.batch, self.out_dim), dtype=np.float32)
            y = y + self.y0
        if self.out_mode == 3:
            g, u = y[:, 0::2], y[:, 1::2]
            y = g / (1 + np.exp(-g)) * u
            self.scale = self.scale[:, 0::2] * (np.abs(u) + 1) + np.abs(g) * self.scale[:, 1::2]
        self.want = y
        out_cols = self.out_dim // 2 if self.out_mode == 3 else self.out_dim
        self.y = cp.empty((self.batch, out_cols), cp.uint16 if self.out_mode == 0 else cp.float32)

    def launch(self, kernel, c):
        i = self.launches
        self.launches += 1
        grid = ctas(self.out_dim, c["THREADS"], c["ROWS"], c["MMA"])
        # The trailing null pointers and zeros are OUT_MODE 4's KV cache arguments (rope_append:
        # not among these shapes), never read in the other modes.
        kernel((grid,), (c["THREADS"],), (self.w[i % self.copies], self.x, self.gamma, self.y,
                                          np.int32(self.out_dim), np.int32(self.in_dim), np.float32(EPS),
                                          *[np.uint64(0)] * 4, *[np.int32(0)] * 4))

    def check(self, kernel, c):
        """None when right: outputs poisoned, then compared with the float64 reference."""
        if self.out_mode == 2:
            self.y.set(self.y0)
        else:
            self.y.fill(0xFFFF if self.out_mode == 0 else np.nan)
        self.launch(kernel, c)
        got = cp.asnumpy(self.y)
        got = bf16_value(got).astype(np.float64) if self.out_mode == 0 else got.astype(np.float64)
        # fp32 accumulation (and 16-bit inputs on tensor cores): 1e-5 of the sum of |terms|;
        # a bf16 output adds its rounding (2^-8 relative).
        tol = 1e-5 * self.scale + 1e-6 + (np.abs(self.want) * 2.0 ** -8 if self.out_mode == 0 else 0)
        bad = ~(np.abs(got - self.want) <= tol)
        if bad.any():
            b, o = np.argwhere(bad)[0]
            return f"{bad.sum()} wrong, first [{b}][{o}]: got {got[b, o]:.6g} want {self.want[b, o]:.6g}"
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--shapes", default="b7-qkv,b7-o,b7-gate-up,b7-down")
    ap.add_argument("--json")
    ap.add_argument("--ncu")
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    problems = [Problem(name, rng) for name in args.shapes.split(",")]
    spin = cp.RawModule(code=SPIN).get_function("sdec_spin")

    candidates = []  # (label, problem, config, kernel)
    modules = {}
    for arg in args.variants:
        label, spec = arg.split("=", 1)
        path, _, consts = spec.partition(":")
        fixed = {k: int(v) for k, v in (item.split("=") for item in filter(None, consts.split(",")))}
        checked = fixed.pop("CHECK", 1)  # CHECK=0: a probe whose output is not the product
        # CARVEOUT=P: the kernel's preferred shared-memory carveout in percent, so that its L1 is
        # what a step leaves it (after the TMA attention: 64% = 164 KB shared, 92 KB of L1).
        carveout = fixed.pop("CARVEOUT", None)
        for p in problems:
            for c in space(p.batch, p.out_mode, fixed):
                consts_all = dict(c, BATCH=p.batch, IN_MODE=p.in_mode, OUT_MODE=p.out_mode, **{k: v for k, v in fixed.items() if k not in c})
                src = render(None if path == "-" else path, consts_all)
                if (src, carveout) not in modules:
                    modules[(src, carveout)] = cp.RawModule(code=src, options=("--std=c++17", "-default-device"))
                kernel = modules[(src, carveout)].get_function("linear")
                if carveout is not None:
                    kernel.preferred_shared_memory_carveout = carveout
                try:
                    failure = p.check(kernel, c) if checked else None
                except cp.cuda.driver.CUDADriverError as e:  # a launch the device refuses
                    failure = f"launch failed: {e}"
                name = f"{label}/{p.name}/t{c['THREADS']}r{c['ROWS']}u{c['UNROLL']}m{c['MMA']}"
                if failure:
                    print(f"WRONG {name}: {failure}", flush=True)
                    continue
                candidates.append((name, p, c, kernel))
    print(f"{len(candidates)} candidates correct", flush=True)

    if args.ncu:
        for name, p, c, kernel in candidates:
            if name == args.ncu:
                for _ in range(3):
                    p.launch(kernel, c)
        cp.cuda.Device().synchronize()
        return

    # Copy bandwidth in this process: the floor's denominator.
    src_buf, dst_buf = cp.empty(1 << 30, cp.uint8), cp.empty(1 << 30, cp.uint8)
    timed = [(name, (lambda i, p=p, c=c, k=kernel: p.launch(k, c))) for name, p, c, kernel in candidates]
    timed.append(("copy 1 GiB", lambda i: cp.cuda.runtime.memcpyAsync(dst_buf.data.ptr, src_buf.data.ptr, 1 << 30, 3, 0)))
    for p in problems:
        xt = torch.as_tensor(cp.asnumpy(p.x).view(np.int16)).view(torch.bfloat16).cuda() if p.in_mode == 0 else \
            torch.as_tensor(cp.asnumpy(p.x)).cuda().to(torch.bfloat16)
        wt = [torch.as_tensor(w, device="cuda").view(torch.bfloat16) for w in p.w]

        def peer(i, p=p, xt=xt, wt=wt):
            p.launches += 1
            torch.nn.functional.linear(xt, wt[p.launches % len(wt)])
        timed.append((f"torch/{p.name}/bf16 linear", peer))
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    samples = {name: [] for name, _ in timed}
    torch.cuda.synchronize()
    for run in range(args.runs + 5):
        for name, fn in timed:
            spin((1,), (1,), (np.int64(AHEAD_CYCLES),))
            start.record()
            fn(run)
            stop.record()
            stop.synchronize()
            if run >= 5:
                samples[name].append(cp.cuda.get_elapsed_time(start, stop) * 1000.0)
    copy_us = float(np.median(samples["copy 1 GiB"]))
    bandwidth = 2 * (1 << 30) / (copy_us * 1e-6)
    print(f"copy bandwidth {bandwidth / 1e12:.2f} TB/s (read + write of 1 GiB in {copy_us:.0f} us)")
    result = {"copy_tb_s": bandwidth / 1e12, "rows": []}
    best = {}
    for name, _ in timed:
        if name == "copy 1 GiB":
            continue
        s = np.sort(samples[name])
        shape = name.split("/")[1]
        p = next(p for p in problems if p.name == shape)
        floor = p.weight_bytes / bandwidth * 1e6
        row = dict(name=name, median_us=float(np.median(s)), p10=float(s[len(s) // 10]), p90=float(s[9 * len(s) // 10]), floor_us=floor)
        result["rows"].append(row)
        key = (name.split("/")[0], shape)
        if key not in best or row["median_us"] < best[key]["median_us"]:
            best[key] = row
    for row in sorted(result["rows"], key=lambda r: (r["name"].split("/")[1], r["median_us"])):
        print(f"{row['name']:48s} {row['median_us']:8.2f} us (p10 {row['p10']:.2f}, p90 {row['p90']:.2f})  floor {row['floor_us']:.1f}  x{row['median_us'] / row['floor_us']:.2f}")
    print("best per variant and shape:")
    for (label, shape), row in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"  {shape:12s} {label:12s} {row['median_us']:8.2f} us  x{row['median_us'] / row['floor_us']:.2f} floor  ({row['name']})")
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
