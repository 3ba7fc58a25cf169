#!/usr/bin/env python3
"""Top-k variants of [64 x 2048] k = 64 side by side, without rebuilding sdec (GPU machine: CuPy
compiles each rendered variant with NVRTC, torch.topk runs in the same process).

  python3 benches/topk_micro/run.py [--runs N] LABEL=VARIANT.cu[:CONST=V,...] ...

VARIANT is a copy of kernels-gen/cuda/topk.cu ('-' for the file itself); constants override the
RESIDENT 512 x 4 configuration (CARVEOUT=N instead sets the kernel's preferred shared-memory
carveout). Every variant is first checked against a NumPy reference on fresh
rows (uniform, and rounded so that ties abound), outputs poisoned before each run. Timing as
`sdec bench kernels`: a spin kernel ahead of each timed launch, CUDA events, 64 input copies in
turn, the variants interleaved run by run, median. A variant that defines
`__device__ unsigned long long sdec_probe[64 * 16]` (clock64 stamps, slot 15 = the count used)
gets the median cycles between its stamps printed.
"""
import argparse
import json
import os
import sys

import cupy as cp
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from render import render  # noqa: E402

ROWS, N, K = 64, 2048, 64
COPIES = 64
AHEAD_CYCLES = 200_000
EXTRA = r'''
extern "C" __global__ void sdec_spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }
extern "C" __global__ void sdec_empty() {}
// An empty kernel with the resident kernel's static shared memory (16 KB): does the carveout cost?
extern "C" __global__ void sdec_empty_smem(int* sink) {
    __shared__ unsigned int words[4096];
    words[threadIdx.x] = threadIdx.x;
    __syncthreads();
    if (words[(threadIdx.x + 1) % 512] == 0xffffffffu) *sink = 1;
}
'''


def parse(arg):
    label, spec = arg.split("=", 1)
    path, _, consts = spec.partition(":")
    values = {}
    for item in filter(None, consts.split(",")):
        name, v = item.split("=")
        values[name] = v.lower() == "true" if v.lower() in ("true", "false") else int(v)
    return label, (None if path == "-" else path), values


def reference(rows, k):
    out_idx = np.empty((rows.shape[0], k), np.int32)
    for r, row in enumerate(rows):
        order = np.lexsort((np.arange(row.size), -row.astype(np.float64)))[:k]
        out_idx[r] = np.sort(order)
    return out_idx, np.take_along_axis(rows, out_idx, 1)


def launch(kernel, threads, scores, idx, val, k=K, rows=ROWS, n=N):
    kernel((rows,), (threads,), (scores, np.int32(n), np.int32(k), idx, val))


def check(kernel, threads, rng):
    failures = []
    for trial in range(9):
        rows = (rng.random((ROWS, N), dtype=np.float32) * 8 - 4).astype(np.float32)
        if trial % 3:
            # 33 or 513 distinct values: ties at the k-th, in classes of ~60 or of a few keys
            step = 4 if trial % 3 == 1 else 64
            rows = (np.round(rows * step) / step).astype(np.float32)
        want_idx, want_val = reference(rows, K)
        idx = cp.full((ROWS, K), -7, cp.int32)
        val = cp.full((ROWS, K), np.nan, cp.float32)
        launch(kernel, threads, cp.asarray(rows), idx, val)
        got_idx, got_val = cp.asnumpy(idx), cp.asnumpy(val)
        if not (np.array_equal(got_idx, want_idx) and np.array_equal(got_val, want_val)):
            bad = int(np.argmax((got_idx != want_idx).any(1) | (got_val != want_val).any(1)))
            failures.append(f"trial {trial} row {bad}: got {got_idx[bad][:8]}... want {want_idx[bad][:8]}...")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--json")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    inputs = [cp.asarray((rng.random((ROWS, N), dtype=np.float32) * 8 - 4).astype(np.float32)) for _ in range(COPIES)]
    idx = cp.empty((ROWS, K), cp.int32)
    val = cp.empty((ROWS, K), cp.float32)
    base = cp.RawModule(code=render(extra=EXTRA), options=("--std=c++17", "-default-device"))
    spin, empty = base.get_function("sdec_spin"), base.get_function("sdec_empty")
    empty_smem = base.get_function("sdec_empty_smem")
    sink = cp.zeros(1, cp.int32)

    variants = []
    for arg in args.variants:
        label, path, consts = parse(arg)
        carveout = consts.pop("CARVEOUT", None)  # a launch attribute, not a constant
        module = cp.RawModule(code=render(path, **consts), options=("--std=c++17", "-default-device"))
        kernel = module.get_function("topk_resident")
        if carveout is not None:
            kernel.preferred_shared_memory_carveout = carveout
        threads = consts.get("THREADS", 512)
        failures = check(kernel, threads, rng)
        print(f"{label}: {'correct' if not failures else 'WRONG ' + '; '.join(failures[:2])} "
              f"({kernel.num_regs} registers)", flush=True)
        if not failures:
            variants.append((label, module, kernel, threads))

    torch_in = [torch.as_tensor(x, device="cuda") for x in inputs]
    timed = [(label, (lambda i, kn=kernel, t=t: launch(kn, t, inputs[i % COPIES], idx, val))) for label, _, kernel, t in variants]
    timed.append(("empty kernel (64 x 512)", lambda i: empty((ROWS,), (512,), ())))
    timed.append(("empty kernel (64 x 32)", lambda i: empty((ROWS,), (32,), ())))
    timed.append(("empty kernel, 16 KB shared (64 x 512)", lambda i: empty_smem((ROWS,), (512,), (sink,))))
    timed.append(("torch.topk", lambda i: torch.topk(torch_in[i % COPIES], K, dim=-1)))
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    samples = {label: [] for label, _ in timed}
    torch.cuda.synchronize()  # torch and CuPy both launch on the legacy default stream
    for run in range(args.runs + 10):
        for label, fn in timed:
            spin((1,), (1,), (np.int64(AHEAD_CYCLES),))
            start.record()
            fn(run)
            stop.record()
            stop.synchronize()
            if run >= 10:
                samples[label].append(cp.cuda.get_elapsed_time(start, stop) * 1000.0)
    result = {}
    for label, s in samples.items():
        s = np.sort(s)
        result[label] = dict(median_us=float(np.median(s)), p10=float(s[len(s) // 10]), p90=float(s[9 * len(s) // 10]))
        print(f"{label:40s} median {result[label]['median_us']:6.2f} us  (p10 {result[label]['p10']:.2f}, p90 {result[label]['p90']:.2f})")

    for label, module, kernel, threads in variants:
        try:
            probe = module.get_global("sdec_probe")
        except Exception:
            continue
        stamps = cp.ndarray((ROWS * 16,), cp.uint64, probe)
        stamps.fill(0)
        spin((1,), (1,), (np.int64(AHEAD_CYCLES),))
        launch(kernel, threads, inputs[3], idx, val)
        cp.cuda.Device().synchronize()
        st = cp.asnumpy(stamps).reshape(ROWS, 16).astype(np.int64)
        # Stamps a path skipped (an early return) stay 0 in some CTA: left out.
        kept = [i for i in range(int(st[0, 15])) if (st[:, i] != 0).all()]
        st = st[:, kept]
        deltas = np.median(np.diff(st, axis=1), axis=0)
        print(f"{label} probe, median cycles between stamps {kept}: {' '.join('%.0f' % d for d in deltas)}"
              f" (sum {deltas.sum():.0f}; first to last stamp: median {np.median(st[:, -1] - st[:, 0]):.0f},"
              f" slowest CTA {np.max(st[:, -1] - st[:, 0]):.0f})")
        result[label]["probe_cycles"] = deltas.tolist()
        result[label]["probe_stamps"] = (st - st[:, :1]).tolist()  # per CTA, from its first stamp
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
