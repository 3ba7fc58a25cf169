#!/usr/bin/env python3
"""The read floor of gathered K/V rows (GPU machine; CuPy compiles rows.cu with NVRTC): how fast
the GPU reads 256-byte rows of a 128K-token bf16 cache (8 KV heads, head dim 128) in the orders
the decode policies read them, against the same number of rows read in sequence, in one run:

  sequential   each head's rows in order (a window moved every run, so L2 holds none of it)
  blocks       64 random blocks of 64 tokens + a recent window of 384 (LycheeDecode's lists)
  tokens       9,175 random tokens a head (SpecAttn's 7%), ascending
  dense        every row of every head (the dense heads' stream)

Each case reads rows only (a fold into one word a thread, no attention arithmetic; ids, then 16
rows' K and V words a lane in flight), timed with CUDA events around a CUDA graph of 16
launches (the 8 row sets in turn): 2 warm-up runs, then the median of --runs, per launch. The byte floor
of a policy's gather in docs/results uses the sequential copy bandwidth; this says how much of it
scattered rows can reach.

  python3 benches/gather_floor/run.py [--runs 30] [--ctas-per-sm 4] [--json OUT]
"""
import argparse
import json
import os

import cupy as cp
import numpy as np

HEADS, CONTEXT, HEAD_DIM, SETS, LAUNCHES = 8, 131072, 128, 8, 16


def row_sets(kind, rng):
    """SETS arrays [HEADS][n] of ascending positions, and n."""
    out = []
    for s in range(SETS):
        heads = []
        for _ in range(HEADS):
            if kind == "sequential":
                start = (s * 9175 * 3) % (CONTEXT - 9175)
                heads.append(np.arange(start, start + 9175))
            elif kind == "tokens":
                heads.append(np.sort(rng.choice(CONTEXT - 1, 9175, replace=False)))
            elif kind == "blocks":
                blocks = np.sort(rng.choice((CONTEXT - 384) // 64, 64, replace=False))
                rows = (blocks[:, None] * 64 + np.arange(64)[None, :]).ravel()
                heads.append(np.concatenate([rows, np.arange(CONTEXT - 384, CONTEXT)]))
            else:
                heads.append(np.arange(CONTEXT))
        absolute = np.arange(HEADS)[:, None] * CONTEXT + np.stack(heads)
        out.append(cp.asarray(absolute.ravel().astype(np.int32)))
    return out, len(heads[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--ctas-per-sm", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    kernel = cp.RawModule(code=open(os.path.join(here, "rows.cu")).read(), options=("--std=c++17",)).get_function("read_rows")
    dev = cp.cuda.Device()
    sms = dev.attributes["MultiProcessorCount"]
    name = cp.cuda.runtime.getDeviceProperties(dev.id)["name"].decode()
    rs = cp.random.RandomState(3)
    # Random bits (never zeros); 2 x 268 MB, ten times L2.
    k = rs.randint(1, 2**31 - 1, size=HEADS * CONTEXT * HEAD_DIM // 2, dtype=cp.int64).astype(cp.uint32)
    v = rs.randint(1, 2**31 - 1, size=HEADS * CONTEXT * HEAD_DIM // 2, dtype=cp.int64).astype(cp.uint32)
    ctas = sms * args.ctas_per_sm
    sink = cp.zeros(ctas * 256, dtype=cp.uint32)
    rng = np.random.default_rng(5)
    rows = []
    for kind in ("sequential", "blocks", "tokens", "dense"):
        sets, per_head = row_sets(kind, rng)
        total = per_head * HEADS
        chunk = -(-total // ctas)
        # Check: the fold of the first set equals the host's fold of the same rows.
        kernel((ctas,), (256,), (k, v, sets[0], np.int32(total), np.int32(chunk), sink))
        got = int(np.bitwise_xor.reduce(cp.asnumpy(sink)))
        k_rows = cp.asnumpy(k.reshape(HEADS * CONTEXT, HEAD_DIM // 2)[sets[0]])
        v_rows = cp.asnumpy(v.reshape(HEADS * CONTEXT, HEAD_DIM // 2)[sets[0]])
        want = int(np.bitwise_xor.reduce(k_rows.ravel()) ^ np.bitwise_xor.reduce(v_rows.ravel()))
        if got != want:
            raise SystemExit(f"{kind}: the kernel's fold {got:#x} is not the host's {want:#x}")
        # LAUNCHES launches (the sets in turn) captured in one CUDA graph, so the host's launch
        # latency (CuPy's is longer than a kernel here) is not timed; a graph launch per run.
        stream = cp.cuda.Stream(non_blocking=True)
        with stream:
            stream.begin_capture()
            for i in range(LAUNCHES):
                kernel((ctas,), (256,), (k, v, sets[i % SETS], np.int32(total), np.int32(chunk), sink))
            graph = stream.end_capture()
        times = []
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        for run in range(2 + args.runs):
            start.record(stream)
            graph.launch(stream)
            stop.record(stream)
            stop.synchronize()
            if run >= 2:
                times.append(cp.cuda.get_elapsed_time(start, stop) * 1000.0 / LAUNCHES)
        us = float(np.median(times))
        read = total * HEAD_DIM * 2 * 2
        rows.append({"case": kind, "rows_per_head": per_head, "bytes_read": read, "median_us": us, "min_us": float(min(times)), "read_gbs": read / us / 1e3})
    seq = rows[0]["read_gbs"]
    print(f"{name} ({sms} SMs), {ctas} CTAs of 256 threads, median of {args.runs} graph runs of {LAUNCHES} launches, per launch")
    print("| case | rows a head | MB read | µs | GB/s read | of sequential |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['rows_per_head']} | {r['bytes_read'] / 1e6:.1f} | {r['median_us']:.1f} | {r['read_gbs']:.0f} | {r['read_gbs'] / seq:.2f} |")
    if args.json:
        json.dump({"gpu": name, "sms": sms, "ctas": ctas, "runs": args.runs, "rows": rows}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
