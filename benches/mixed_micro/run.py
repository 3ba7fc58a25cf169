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
import json

import cupy as cp
import numpy as np

from common import LAUNCHES, graph_times, kernel, start, summary

HEADS, CONTEXT, ROW_WORDS, UNIT_ROWS, SETS = 8, 131072, 64, 64, 8
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
    args, sms, name = start(__doc__)
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
    before, after = cp.cuda.Event(), cp.cuda.Event()
    copies = []
    for run in range(12):
        before.record()
        dst[...] = src
        after.record()
        after.synchronize()
        if run >= 2:
            copies.append(2 * src.nbytes / (cp.cuda.get_elapsed_time(before, after) * 1e-3) / 1e9)
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
        f = kernel("stream.cu", fn, defines)
        if smem > 48 * 1024:
            f.max_dynamic_shared_size_bytes = smem
        sink = cp.zeros(ctas * threads, dtype=cp.uint32)
        launch = lambda i: f((ctas,), (threads,), (k, v, sets[i], np.int32(n_units), np.int32(per_cta), sink), shared_mem=smem)
        sink.fill(0x5A5A5A5A)
        launch(0)
        # (bulk_fold's producer warp writes nothing: its 32 poisoned words a CTA fold to zero.)
        got = int(np.bitwise_xor.reduce(cp.asnumpy(sink)))
        if got != want:
            print(f"WRONG {label}: fold {got:#x}, host {want:#x}")
            continue
        times = graph_times(stream, launch, SETS, args.runs)
        r = summary(times)
        rows.append(dict(r, case=label, ctas=ctas, read_gbs=read_bytes / r["median_us"] / 1e3))
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
