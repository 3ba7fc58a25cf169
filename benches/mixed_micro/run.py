#!/usr/bin/env python3
"""How fast LycheeDecode's b1 mixed layer's K/V bytes can be streamed at all (GPU machine; CuPy
compiles stream.cu with NVRTC): one dense head of 128K tokens (67 MB) beside seven heads' lists
of 64 random blocks of 64 tokens plus a 384-token recent window (16 MB) — 83 MB, whose byte
floor is 27.6 µs at the copy bandwidth. The tuned `attend` + `combine` takes ~44.6 µs for it.

Each case only reads and folds (stream.cu): plain 16-byte loads with 1 or 2 units (32 KB) a CTA
in flight, and cp.async.bulk copies into a shared-memory ring fed by one producer lane. Every
variant's fold is checked against the host's before it is timed; timed as a CUDA graph of 16
launches over 8 row sets (a different dense head each, so L2 holds nothing), median per launch.

  python3 benches/mixed_micro/run.py [--runs 30] [--json OUT]
"""
import argparse
import json
import os

import cupy as cp
import numpy as np

HEADS, CONTEXT, ROW_WORDS, UNIT_ROWS, SETS, LAUNCHES = 8, 131072, 64, 64, 8, 16
UNIT_BYTES = UNIT_ROWS * ROW_WORDS * 4


def unit_sets(rng):
    """SETS int32 arrays of unit starts (absolute rows): the dense head's 2048 units, then the
    other heads' 70 units (64 random blocks + the 6 of the recent window), ascending per head."""
    sets = []
    for s in range(SETS):
        dense = s % HEADS
        starts = [dense * CONTEXT + np.arange(0, CONTEXT, UNIT_ROWS)]
        for h in range(HEADS):
            if h == dense:
                continue
            blocks = np.sort(rng.choice((CONTEXT - 384) // UNIT_ROWS, 64, replace=False)) * UNIT_ROWS
            window = np.arange(CONTEXT - 384, CONTEXT, UNIT_ROWS)
            starts.append(h * CONTEXT + np.concatenate([blocks, window]))
        sets.append(cp.asarray(np.concatenate(starts).astype(np.int32)))
    return sets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    source = open(os.path.join(here, "stream.cu")).read()
    dev = cp.cuda.Device()
    sms = dev.attributes["MultiProcessorCount"]
    name = cp.cuda.runtime.getDeviceProperties(dev.id)["name"].decode()
    rs = cp.random.RandomState(3)
    k = rs.randint(1, 2**31 - 1, size=HEADS * CONTEXT * ROW_WORDS, dtype=cp.int64).astype(cp.uint32)
    v = rs.randint(1, 2**31 - 1, size=HEADS * CONTEXT * ROW_WORDS, dtype=cp.int64).astype(cp.uint32)
    k_host = cp.asnumpy(k).reshape(HEADS * CONTEXT, ROW_WORDS)
    v_host = cp.asnumpy(v).reshape(HEADS * CONTEXT, ROW_WORDS)
    sets = unit_sets(np.random.default_rng(5))
    n_units = int(sets[0].size)
    rows0 = (cp.asnumpy(sets[0])[:, None] + np.arange(UNIT_ROWS)[None, :]).ravel()
    want = int(np.bitwise_xor.reduce(k_host[rows0].ravel()) ^ np.bitwise_xor.reduce(v_host[rows0].ravel()))
    read_bytes = n_units * UNIT_BYTES * 2

    # The copy bandwidth (read + write), the byte floor's denominator in docs/results.
    src, dst = cp.empty(1 << 28, cp.float32), cp.empty(1 << 28, cp.float32)
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    copies = []
    for run in range(12):
        start.record()
        dst[...] = src
        stop.record()
        stop.synchronize()
        if run >= 2:
            copies.append(2 * src.nbytes / (cp.cuda.get_elapsed_time(start, stop) * 1e-3) / 1e9)
    copy_gbs = float(np.median(copies))
    del src, dst

    variants = []
    for unroll in (1, 2):
        for per_cta in (4, 8, 16):
            variants.append((f"plain unroll {unroll}, {per_cta} units a CTA", dict(UNROLL=unroll), "plain_fold",
                             -(-n_units // per_cta), 256, per_cta, 0))
    for stages, consumers, per_sm in ((6, 4, 1), (6, 8, 1), (3, 4, 2), (3, 2, 2), (4, 4, 1), (2, 4, 3)):
        ctas = sms * per_sm
        variants.append((f"bulk {stages} stages, {consumers} consumer warps, {per_sm} CTA an SM",
                         dict(STAGES=stages, CONSUMERS=consumers), "bulk_fold", ctas, 32 * (consumers + 1),
                         -(-n_units // ctas), stages * 2 * UNIT_BYTES + 2 * stages * 8))
    rows = []
    stream = cp.cuda.Stream(non_blocking=True)
    for label, defines, fn, ctas, threads, per_cta, smem in variants:
        options = ("--std=c++17", "-arch=sm_90") + tuple(f"-D{key}={val}" for key, val in defines.items())
        kernel = cp.RawModule(code=source, options=options).get_function(fn)
        if smem > 48 * 1024:
            kernel.max_dynamic_shared_size_bytes = smem
        sink = cp.zeros(ctas * threads, dtype=cp.uint32)
        launch = lambda units: kernel((ctas,), (threads,), (k, v, units, np.int32(n_units), np.int32(per_cta), sink), shared_mem=smem)
        sink.fill(0x5A5A5A5A)
        launch(sets[0])
        got = int(np.bitwise_xor.reduce(cp.asnumpy(sink)))
        # (bulk_fold's producer warp writes nothing: its 32 poisoned words a CTA fold to zero.)
        if got != want:
            print(f"WRONG {label}: fold {got:#x}, host {want:#x}")
            continue
        with stream:
            stream.begin_capture()
            for i in range(LAUNCHES):
                launch(sets[i % SETS])
            graph = stream.end_capture()
        times = []
        for run in range(2 + args.runs):
            start.record(stream)
            graph.launch(stream)
            stop.record(stream)
            stop.synchronize()
            if run >= 2:
                times.append(cp.cuda.get_elapsed_time(start, stop) * 1000.0 / LAUNCHES)
        us = float(np.median(times))
        rows.append({"case": label, "ctas": ctas, "median_us": us, "p10_us": float(np.percentile(times, 10)), "read_gbs": read_bytes / us / 1e3})
    floor = read_bytes / copy_gbs / 1e3
    print(f"{name} ({sms} SMs): {read_bytes / 1e6:.1f} MB a launch, copy bandwidth {copy_gbs:.0f} GB/s, floor {floor:.1f} us; "
          f"median of {args.runs} graph runs of {LAUNCHES} launches, per launch")
    print("| case | CTAs | µs | p10 µs | GB/s | × floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['ctas']} | {r['median_us']:.1f} | {r['p10_us']:.1f} | {r['read_gbs']:.0f} | {r['median_us'] / floor:.2f} |")
    if args.json:
        json.dump({"gpu": name, "sms": sms, "copy_gbs": copy_gbs, "floor_us": floor, "rows": rows}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
