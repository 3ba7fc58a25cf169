#!/usr/bin/env python3
"""What a decode step's launch boundaries cost its projections (GPU machine; CuPy compiles
layers.cu with NVRTC). Llama-3.1-8B's four products per layer (qkv, o, gate-up with SwiGLU,
down; batch 1, bf16 weights) for LAYERS layers, three ways, interleaved run by run:

  graph       one kernel per product, the 4 x LAYERS launches captured in a CUDA graph
  persistent  one launch of co-resident CTAs, a grid barrier after each product
  warm        persistent, each warp asking L2 for its first rows of the next product before
              it waits at the barrier
  dynamic     persistent, rows handed out at run time by a counter per product (`layers_dyn`)
  ahead       dynamic, each warp loading its first step of the next product before the barrier
  ahead2      ahead, and asking L2 for the second step too
  pdl0/1/2    one kernel per product in a graph, each a programmatic dependent of the one before
              that loads its first step of weights before it waits; the next launch allowed at
              a CTA's start (0), once its rows are computed (1), or never (2: at its end)

All must agree (the same arithmetic per row: bitwise equal), checked before timing.

  python3 benches/persist_micro/run.py [--layers 32] [--runs 30] [--ctas-per-sm 2] [--json OUT]

--per-product also times each product alone: LAYERS launches of it (every layer's weights) in a
graph, so that a fit of time against bytes over the four sizes splits a launch's cost into a
fixed part and a streaming rate.
"""
import argparse
import ctypes
import json
import os

import cupy as cp
import numpy as np

HIDDEN, QKV, FFN = 4096, 6144, 14336
THREADS, WARPS, ROWS = 256, 8, 2
WAYS = ("graph", "persistent", "warm", "dynamic", "ahead", "ahead2", "pdl0", "pdl1", "pdl2")
PDL = {"pdl0": 0, "pdl1": 1, "pdl2": 2}


class LaunchAttr(ctypes.Structure):  # CUlaunchAttribute: an id, padding, a 64-byte value union
    _fields_ = [("id", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("value", ctypes.c_int32 * 16)]


class LaunchConfig(ctypes.Structure):  # CUlaunchConfig
    _fields_ = [("grid", ctypes.c_uint32 * 3), ("block", ctypes.c_uint32 * 3), ("smem", ctypes.c_uint32),
                ("stream", ctypes.c_void_p), ("attrs", ctypes.POINTER(LaunchAttr)), ("num_attrs", ctypes.c_uint32)]


PROGRAMMATIC_STREAM_SERIALIZATION = 6  # CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION
_cuda = None


def launch_pdl(kernel, grid, stream, args):
    """cuLaunchKernelEx with programmatic stream serialization allowed (CuPy has no launch
    attributes). args: ctypes values in the kernel's parameter order."""
    global _cuda
    if _cuda is None:
        _cuda = ctypes.CDLL("libcuda.so.1")
        _cuda.cuLaunchKernelEx.argtypes = [ctypes.POINTER(LaunchConfig), ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
    attr = LaunchAttr(id=PROGRAMMATIC_STREAM_SERIALIZATION)
    attr.value[0] = 1
    cfg = LaunchConfig(grid=(ctypes.c_uint32 * 3)(grid, 1, 1), block=(ctypes.c_uint32 * 3)(THREADS, 1, 1), smem=0,
                       stream=ctypes.c_void_p(stream.ptr), attrs=ctypes.pointer(attr), num_attrs=1)
    params = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.pointer(a), ctypes.c_void_p) for a in args])
    fn = (kernel.kernel if hasattr(kernel, "kernel") else kernel).ptr
    rc = _cuda.cuLaunchKernelEx(ctypes.byref(cfg), ctypes.c_void_p(fn), params, None)
    if rc != 0:
        raise SystemExit(f"cuLaunchKernelEx: CUresult {rc}")
AHEAD = {"dynamic": 0, "ahead": 1, "ahead2": 2}


def bf16_weights(rng_seed, rows, cols):
    rs = cp.random.RandomState(rng_seed)
    f = rs.standard_normal((rows, cols), dtype=cp.float32) * cp.float32(1.0 / np.sqrt(cols))
    return (f.view(cp.uint32) >> 16).astype(cp.uint16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--ctas-per-sm", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--per-product", action="store_true")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    common = open(os.path.join(here, "..", "..", "kernels-gen", "cuda", "common.cuh")).read()
    src = common + open(os.path.join(here, "layers.cu")).read()
    mod = cp.RawModule(code=src, options=("--std=c++17",))
    product, layers_k, dyn_k = mod.get_function("product"), mod.get_function("layers"), mod.get_function("layers_dyn")
    product_pdl = mod.get_function("product_pdl")
    dev = cp.cuda.Device()
    sms = dev.attributes["MultiProcessorCount"]
    name = cp.cuda.runtime.getDeviceProperties(dev.id)["name"].decode()

    shapes = [(QKV, HIDDEN, 0), (HIDDEN, HIDDEN, 1), (2 * FFN, HIDDEN, 2), (HIDDEN, FFN, 3)]
    weights = [[bf16_weights(1000 * l + k, o, i) for k, (o, i, _) in enumerate(shapes)] for l in range(args.layers)]
    total_bytes = sum(w.nbytes for layer in weights for w in layer)
    # The layer table for the persistent kernel: {u64 w; i32 out, in, mode; i32 pad} per product.
    table = np.zeros((args.layers, 4, 3), dtype=np.int64)
    for l in range(args.layers):
        for k, (o, i, mode) in enumerate(shapes):
            table[l, k, 0] = weights[l][k].data.ptr
            table[l, k, 1] = o | (i << 32)
            table[l, k, 2] = mode
    d_table = cp.asarray(table)
    x0 = cp.random.RandomState(7).standard_normal(HIDDEN, dtype=cp.float32)
    bufs = {way: (cp.empty(HIDDEN, cp.float32), cp.empty(QKV, cp.float32), cp.empty(FFN, cp.float32)) for way in WAYS}
    count = cp.zeros(1, cp.uint32)
    grab = cp.zeros(4 * args.layers, cp.uint32)

    stream = cp.cuda.Stream(non_blocking=True)

    def launch_products(x, t, act):
        for l in range(args.layers):
            for k, (o, i, mode) in enumerate(shapes):
                product(((o + WARPS * ROWS - 1) // (WARPS * ROWS),), (THREADS,),
                        (weights[l][k], np.int32(o), np.int32(i), np.int32(mode), x, t, act))

    def launch_products_pdl(x, t, act, trigger):
        for l in range(args.layers):
            for k, (o, i, mode) in enumerate(shapes):
                launch_pdl(product_pdl, (o + WARPS * ROWS - 1) // (WARPS * ROWS), stream,
                           [ctypes.c_void_p(weights[l][k].data.ptr), ctypes.c_int32(o), ctypes.c_int32(i), ctypes.c_int32(mode),
                            ctypes.c_void_p(x.data.ptr), ctypes.c_void_p(t.data.ptr), ctypes.c_void_p(act.data.ptr), ctypes.c_int32(trigger)])

    with stream:
        stream.begin_capture()
        launch_products(*bufs["graph"])
        graph = stream.end_capture()
        pdl_graphs = {}
        for way, trigger in PDL.items():
            stream.begin_capture()
            launch_products_pdl(*bufs[way], trigger)
            pdl_graphs[way] = stream.end_capture()

    # Every CTA of the persistent kernel must be resident at once (it waits for all of them).
    fits = min(cp.cuda.driver.occupancyMaxActiveBlocksPerMultiprocessor((k.kernel if hasattr(k, "kernel") else k).ptr, THREADS, 0)
               for k in (layers_k, dyn_k))  # a RawKernel wraps a Function
    if args.ctas_per_sm > fits:
        raise SystemExit(f"--ctas-per-sm {args.ctas_per_sm}: only {fits} CTAs of {THREADS} threads fit an SM "
                         f"({layers_k.num_regs} / {dyn_k.num_regs} registers)")
    grid = sms * args.ctas_per_sm

    def reset(which):
        bufs[which][0][...] = x0
        count.fill(0)
        grab.fill(0)

    def launch(which):
        x, t, act = bufs[which]
        if which == "graph":
            graph.launch(stream)
        elif which in PDL:
            pdl_graphs[which].launch(stream)
        elif which in AHEAD:
            dyn_k((grid,), (THREADS,), (d_table, np.int32(args.layers), x, t, act, count, grab, np.int32(AHEAD[which])))
        else:
            layers_k((grid,), (THREADS,), (d_table, np.int32(args.layers), x, t, act, count, np.int32(which == "warm")))

    with stream:
        outs = {}
        for which in bufs:
            reset(which)
            launch(which)
            stream.synchronize()
            outs[which] = cp.asnumpy(bufs[which][0])
    agree = {w: bool(np.array_equal(outs[w], outs["graph"])) for w in outs}
    rel = {w: float(np.linalg.norm(outs[w] - outs["graph"]) / np.linalg.norm(outs["graph"])) for w in outs}
    print(f"{name}, {sms} SMs; {args.layers} layers, {total_bytes / 1e9:.2f} GB of weights; persistent grid {grid} x {THREADS} "
          f"({layers_k.num_regs} / {dyn_k.num_regs} registers, {fits} CTAs fit an SM); product kernel {product.num_regs} registers")
    print("outputs equal to the graph's:", agree, "relative L2 difference:", rel, "finite:", bool(np.isfinite(outs['graph']).all()))
    if not all(agree.values()) or not np.isfinite(outs["graph"]).all():
        raise SystemExit("the ways disagree: not timed")

    start, stop = cp.cuda.Event(), cp.cuda.Event()
    samples = {w: [] for w in bufs}
    with stream:
        for r in range(args.runs + 3):
            for which in bufs:
                reset(which)
                start.record(stream)
                launch(which)
                stop.record(stream)
                stop.synchronize()
                if r >= 3:
                    samples[which].append(cp.cuda.get_elapsed_time(start, stop))
    result = {"device": name, "layers": args.layers, "bytes": total_bytes, "grid": grid, "agree": agree, "rel_l2": rel}
    for which, s in samples.items():
        med = float(np.median(s))
        result[which] = {"median_ms": med, "min_ms": float(np.min(s)), "max_ms": float(np.max(s)), "tb_s": total_bytes / med / 1e9}
        print(f"{which:11s} median {med:7.3f} ms (min {np.min(s):.3f}, max {np.max(s):.3f})  {total_bytes / med / 1e9:5.2f} TB/s")
    if args.per_product:
        result["per_product"] = per_product(args, shapes, weights, product, stream, bufs["graph"])
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)


def per_product(args, shapes, weights, product, stream, bufs):
    """Each product alone, LAYERS launches in a graph: µs a launch, and the least-squares fit
    µs = fixed + bytes / rate over the four products."""
    x, t, act = bufs
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    rows = []
    for k, (o, i, mode) in enumerate(shapes):
        with stream:
            stream.begin_capture()
            for l in range(args.layers):
                product(((o + WARPS * ROWS - 1) // (WARPS * ROWS),), (THREADS,), (weights[l][k], np.int32(o), np.int32(i), np.int32(mode), x, t, act))
            g = stream.end_capture()
            samples = []
            for r in range(args.runs + 3):
                start.record(stream)
                g.launch(stream)
                stop.record(stream)
                stop.synchronize()
                if r >= 3:
                    samples.append(cp.cuda.get_elapsed_time(start, stop))
        us = float(np.median(samples)) * 1000.0 / args.layers
        nbytes = o * i * 2
        rows.append({"product": ["qkv", "o", "gate-up", "down"][k], "bytes": nbytes, "us_per_launch": us, "tb_s": nbytes / us / 1e6})
        print(f"{rows[-1]['product']:8s} {nbytes / 1e6:7.1f} MB  {us:7.2f} µs a launch  {nbytes / us / 1e6:5.2f} TB/s")
    b = np.array([r["bytes"] for r in rows], dtype=np.float64)
    y = np.array([r["us_per_launch"] for r in rows])
    slope, fixed = np.polyfit(b, y, 1)
    print(f"fit: {fixed:.2f} µs a launch + bytes at {1e-6 / slope:.2f} TB/s")
    return {"rows": rows, "fixed_us": float(fixed), "rate_tb_s": float(1e-6 / slope)}


if __name__ == "__main__":
    main()
