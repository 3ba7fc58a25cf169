#!/usr/bin/env python3
"""LycheeDecode's b1 mixed layer (one dense KV head of 128K tokens, seven heads' lists of 70
blocks of 64 tokens; group 4, head dim 128) through attend.cu's staged, token-per-lane kernel
(GPU machine; CuPy compiles it with NVRTC), its variant with 8 lanes a token (attend8.cu),
beside the same rows only read and folded
(stream.cu's bulk_fold), in one run. Every variant's partials are checked against NumPy (fp64)
on fresh random bf16 inputs, outputs poisoned first; then timed as a CUDA graph of 16 launches
over 8 row sets (a different dense head each), median per launch. The tuned `attend` of the
gather family takes ~43.6 µs for this layer (+ `combine`), the fold ~29.8.

  python3 benches/mixed_micro/run_attend.py [--runs 30] [--json OUT]
"""
import argparse
import json
import os

import cupy as cp
import numpy as np

HEADS, CONTEXT, DIM, GROUP, UNIT, SETS, LAUNCHES = 8, 131072, 128, 4, 32, 8, 16


def layer_sets(rng, sms):
    """Per set: (items [ctas, 4] int32 {head, first unit, units, 0}, unit rows int32): the dense
    head's 4096 units and each other head's 140 (70 blocks of 64 tokens), cut so that all heads
    make at most `sms` pieces."""
    out = []
    for s in range(SETS):
        dense = s % HEADS
        heads = []
        for h in range(HEADS):
            if h == dense:
                rows = np.arange(0, CONTEXT, UNIT)
            else:
                blocks = np.sort(rng.choice((CONTEXT - 384) // 64, 64, replace=False)) * 64
                tokens = np.concatenate([blocks, np.arange(CONTEXT - 384, CONTEXT, 64)])
                rows = (tokens[:, None] + np.array([0, UNIT])[None, :]).ravel()
            heads.append((h, h * CONTEXT + rows))
        piece = 1
        while sum(-(-len(r) // piece) for _, r in heads) > sms:
            piece += 1
        items, unit_rows = [], []
        for h, rows in heads:
            for a in range(0, len(rows), piece):
                n = min(piece, len(rows) - a)
                items.append((h, len(unit_rows), n, 0))
                unit_rows.extend(rows[a:a + n])
        out.append((np.array(items, np.int32), np.array(unit_rows, np.int32)))
    return out


def reference(q, k, v, item, unit_rows, scale):
    head, first, n, _ = item
    rows = (unit_rows[first:first + n][:, None] + np.arange(UNIT)[None, :]).ravel()
    kk, vv = k[rows].astype(np.float64), v[rows].astype(np.float64)
    qq = q[head * GROUP:(head + 1) * GROUP].astype(np.float64)
    s = qq @ kk.T * scale * np.log2(np.e)  # [GROUP, tokens], log2 units
    m = s.max(axis=1, keepdims=True)
    p = np.exp2(s - m)
    return (p @ vv) / p.sum(axis=1, keepdims=True), (m[:, 0] + np.log2(p.sum(axis=1)))


def bf16(a):
    return (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def from_bf16(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    dev = cp.cuda.Device()
    sms = dev.attributes["MultiProcessorCount"]
    name = cp.cuda.runtime.getDeviceProperties(dev.id)["name"].decode()
    rng = np.random.default_rng(7)
    k_host = bf16(rng.standard_normal((HEADS * CONTEXT, DIM), np.float32))
    v_host = bf16(rng.standard_normal((HEADS * CONTEXT, DIM), np.float32))
    q_host = bf16(rng.standard_normal((HEADS * GROUP, DIM), np.float32))
    k, v, q = cp.asarray(k_host), cp.asarray(v_host), cp.asarray(q_host)
    kf, vf, qf = from_bf16(k_host), from_bf16(v_host), from_bf16(q_host)
    scale = float(1 / np.sqrt(DIM))
    sets = layer_sets(rng, sms)
    dev_sets = [(cp.asarray(i), cp.asarray(r)) for i, r in sets]
    read_bytes = int(sets[0][1].size) * UNIT * DIM * 2 * 2
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    stream = cp.cuda.Stream(non_blocking=True)
    rows = []

    def timed(label, ctas, launch):
        with stream:
            stream.begin_capture()
            for i in range(LAUNCHES):
                launch(i % SETS)
            graph = stream.end_capture()
        times = []
        for run in range(2 + args.runs):
            start.record(stream)
            graph.launch(stream)
            stop.record(stream)
            stop.synchronize()
            if run >= 2:
                times.append(cp.cuda.get_elapsed_time(start, stop) * 1000.0 / LAUNCHES)
        rows.append({"case": label, "ctas": ctas, "median_us": float(np.median(times)), "p10_us": float(np.percentile(times, 10))})

    def check(launch, o_part, lse, ctas):
        """Worst error of five CTAs' partials against NumPy (fp64), outputs poisoned first."""
        o_part.fill(np.nan)
        lse.fill(np.nan)
        launch(0)
        got_o = cp.asnumpy(o_part).reshape(-1, GROUP, DIM)
        got_l = cp.asnumpy(lse).reshape(-1, GROUP)
        worst = 0.0
        for c in sorted({0, 1, ctas // 2, ctas - 2, ctas - 1}):
            want_o, want_l = reference(qf, kf, vf, sets[0][0][c], sets[0][1], scale)
            err = np.abs(got_o[c] - want_o).max() / np.abs(want_o).max()
            err_l = np.abs(got_l[c] - want_l).max()
            worst = max(worst, err, err_l)
        return worst

    source = open(os.path.join(here, "attend.cu")).read()
    # (consumer warps, ring slots, shared ring, diagnostic): per-warp rings of 32-token units, or one
    # ring of units of 32 tokens a warp that every warp takes its part of (SHARED).
    # PAD: rows copied one by one into padded rows, q.k in one chunk order (q a broadcast).
    for warps, slots, shared, pad, skip in ((6, 2, 0, 0, 0), (6, 2, 0, 0, 1), (6, 2, 0, 0, 2)):
        kernel = cp.RawModule(code=source, options=("--std=c++17", "-arch=sm_90", f"-DW={warps}", f"-DSLOTS={slots}",
                                                    f"-DSHARED={shared}", f"-DPAD={pad}", f"-DSKIP={skip}")).get_function("bulk_attend")
        smem = warps * slots * 2 * UNIT * (DIM * 2 + 16 * pad)
        kernel.max_dynamic_shared_size_bytes = smem
        ctas = len(sets[0][0])
        o_part = cp.empty((ctas + 8) * GROUP * DIM, cp.float32)
        lse = cp.empty((ctas + 8) * GROUP, cp.float32)
        launch = lambda i: kernel((len(sets[i][0]),), (32 * (warps + 1),),
                                  (q, k, v, dev_sets[i][0], dev_sets[i][1], np.float32(scale), o_part, lse), shared_mem=smem)
        worst = check(launch, o_part, lse, ctas)
        # fp32 accumulation over ~1200 tokens and ex2.approx: 1e-4 of the largest output.
        if skip:  # a diagnostic: what is left when q.k (1) or p.v (2) is left out
            timed(f"diagnostic: {warps} warps x {slots} {'shared ' if shared else ''}{'padded ' if pad else ''}slots without {'q.k' if skip == 1 else 'p.v'}", ctas, launch)
            continue
        if not np.isfinite(worst) or worst > 1e-4:
            print(f"WRONG W={warps} SLOTS={slots}: worst relative error {worst:.3g}")
            continue
        timed(f"staged attention, {warps} consumer warps x {slots} {'shared ' if shared else ''}{'padded ' if pad else ''}slots (checked: worst error {worst:.1e})", ctas, launch)

    # attend8.cu: 8 lanes a token, q in registers.
    source8 = open(os.path.join(here, "attend8.cu")).read()
    # Units of 16 rows: the 32-row units' starts and 16 past them.
    halves = [(i, (r[:, None] + np.array([0, 16])[None, :]).ravel().astype(np.int32)) for i, r in sets]
    for warps, slots, rows_per_unit in ((6, 2, 32), (6, 4, 16), (8, 3, 16)):
        kernel = cp.RawModule(code=source8, options=("--std=c++17", "-arch=sm_90", f"-DW={warps}", f"-DSLOTS={slots}",
                                                     f"-DUNIT_ROWS={rows_per_unit}")).get_function("bulk_attend8")
        smem = warps * slots * 2 * rows_per_unit * DIM * 2
        unit_sets = dev_sets if rows_per_unit == UNIT else [(cp.asarray(np.stack([it[:, 0], 2 * it[:, 1], 2 * it[:, 2], it[:, 3]], 1)), cp.asarray(r)) for it, r in halves]
        kernel.max_dynamic_shared_size_bytes = smem
        ctas = len(sets[0][0])
        o_part = cp.empty((ctas + 8) * GROUP * DIM, cp.float32)
        lse = cp.empty((ctas + 8) * GROUP, cp.float32)
        launch = lambda i: kernel((len(sets[i][0]),), (32 * (warps + 1),),
                                  (q, k, v, unit_sets[i][0], unit_sets[i][1], np.float32(scale), o_part, lse), shared_mem=smem)
        worst = check(launch, o_part, lse, ctas)
        if not np.isfinite(worst) or worst > 1e-4:
            print(f"WRONG attend8 W={warps} SLOTS={slots} UNIT_ROWS={rows_per_unit}: worst relative error {worst:.3g}")
            continue
        timed(f"8 lanes a token, {warps} consumer warps x {slots} slots of {rows_per_unit} rows (checked: worst error {worst:.1e})", ctas, launch)

    fold = cp.RawModule(code=open(os.path.join(here, "stream.cu")).read(),
                        options=("--std=c++17", "-arch=sm_90", "-DSTAGES=6", "-DCONSUMERS=4")).get_function("bulk_fold")
    fold.max_dynamic_shared_size_bytes = 6 * 2 * 64 * 256 + 96
    # The fold reads 64-row units: the same rows as unit pairs.
    fold_units = [cp.asarray(r[::2].copy()) for _, r in sets]
    n_units = int(fold_units[0].size)
    per = -(-n_units // sms)
    sink = cp.zeros(sms * 160, cp.uint32)
    timed("read and fold only (bulk, 6 stages)", sms,
          lambda i: fold((sms,), (160,), (k, v, fold_units[i], np.int32(n_units), np.int32(per), sink), shared_mem=6 * 2 * 64 * 256 + 96))
    print(f"{name} ({sms} SMs): {read_bytes / 1e6:.1f} MB a launch; median of {args.runs} graph runs of {LAUNCHES} launches, per launch")
    print("| case | CTAs | µs | p10 µs |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['ctas']} | {r['median_us']:.1f} | {r['p10_us']:.1f} |")
    if args.json:
        json.dump({"gpu": name, "sms": sms, "bytes": read_bytes, "rows": rows}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
