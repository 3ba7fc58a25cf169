#!/usr/bin/env python3
"""PyTorch's times for the shapes of `sdec bench kernels`, timed the same way (CUDA events,
5 warm-up runs, median of 30, inputs rotated past L2 where they would fit in it, and the GPU kept
busy ahead of each start event so that Python's launch latency is not timed).

Prints a JSON map "kernel | shape" -> median microseconds; the keys match sdec's rows.
Run on the GPU machine (torch is installed there): python3 benches/torch_peers.py > torch.json
`--family topk` (repeatable) times only those families' peers. `--graph` times each run inside
a CUDA graph of GRAPH_LAUNCHES consecutive runs (inputs rotated the same way), the replay's time
divided by their count, as `sdec bench kernels --launch graph` does.
"""
import json
import sys

import torch
import torch.nn.functional as F

WARMUP, RUNS = 5, 30
GRAPH_LAUNCHES = 32  # as sdec's bench::GRAPH_LAUNCHES
AHEAD_CYCLES = 200_000  # about 100 µs at the H100's 1.98 GHz
dev = "cuda"
torch.manual_seed(0)


def median_us(fn, rotate=1):
    if GRAPH:
        return graph_median_us(fn, rotate)
    return stream_median_us(fn, rotate)


def graph_median_us(fn, rotate):
    # Warm up on a side stream (as torch.cuda.graphs asks), then capture consecutive runs.
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for i in range(3):
            fn(i % rotate)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(GRAPH_LAUNCHES):
            fn(i % rotate)
    us = stream_median_us(lambda _: graph.replay()) / GRAPH_LAUNCHES
    del graph
    return us


def stream_median_us(fn, rotate=1):
    for i in range(WARMUP):
        fn(i % rotate)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    samples = []
    for i in range(RUNS):
        # As sdec's `spin` ahead of a timed run: the GPU sleeps while Python enqueues the run.
        torch.cuda._sleep(AHEAD_CYCLES)
        start.record()
        fn(i % rotate)
        stop.record()
        stop.synchronize()
        samples.append(start.elapsed_time(stop) * 1000.0)
    samples.sort()
    return samples[len(samples) // 2]


def l2_copies(nbytes):
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    return max(1, min(64, -(-2 * l2 // nbytes)))


families = [a for flag, a in zip(sys.argv[1:], sys.argv[2:]) if flag == "--family"]
GRAPH = "--graph" in sys.argv[1:]
wanted = lambda name: not families or name in families
out = {}

# Top-k over fp32 rows.
for rows, n, k in [] if not wanted("topk") else [(8, 131072, 9175), (64, 131072, 2048), (64, 2048, 64)]:
    copies = l2_copies(rows * n * 4)
    xs = [torch.rand(rows, n, device=dev) * 8 - 4 for _ in range(copies)]
    out[f"topk | [{rows} x {n}] k={k}"] = median_us(lambda i: torch.topk(xs[i], k, dim=-1), copies)
    # Ours returns the k in index order, not by value: torch without its sort is the like-for-like
    # peer. Both are kept; the figures were taken against the default (sorted).
    out[f"topk sorted=False | [{rows} x {n}] k={k}"] = median_us(lambda i: torch.topk(xs[i], k, dim=-1, sorted=False), copies)
    del xs

# Dense decode attention: 32 query / 8 KV heads, d=128, 128K context, bf16.
ctx, hq, hkv, d = 131072, 32, 8, 128
for batch in [] if not wanted("decode_attention") else [1, 8]:
    q = torch.randn(batch, hq, 1, d, device=dev, dtype=torch.bfloat16)
    k = torch.randn(batch, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
    v = torch.randn(batch, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
    sdpa = lambda i: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    out[f"decode_attention | b{batch} 32q/8kv d128 ctx128K"] = median_us(sdpa)

    # With LycheeDecode's block scores: SDPA, then group-mean q . K max-pooled per 64 tokens.
    def sdpa_and_scores(i):
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
        qbar = q.view(batch, hkv, hq // hkv, d).float().mean(2).to(torch.bfloat16)  # [b, hkv, d]
        logits = torch.einsum("bhd,bhtd->bht", qbar, k)
        return logits.view(batch, hkv, ctx // 64, 64).amax(-1)

    out[f"decode_attention+scores | b{batch} 32q/8kv d128 ctx128K"] = median_us(sdpa_and_scores)
    del q, k, v

# Gather attention: batch 8, 4096 selected tokens per KV head (blocks of 64 or single tokens),
# 0 or 2 of 8 KV heads dense: gather K/V rows, then SDPA (dense heads: SDPA over everything).
batch = 8
if wanted("gather_attention"):
    q = torch.randn(batch, hq, 1, d, device=dev, dtype=torch.bfloat16)
    k = torch.randn(batch, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
    v = torch.randn(batch, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
for dense in [] if not wanted("gather_attention") else [0, 2]:
    for block in [64, 1]:
        units = ctx // block
        ids = torch.stack([torch.randperm(units, device=dev)[: 4096 // block].sort().values for _ in range(batch * (hkv - dense))])
        tok = (ids[:, :, None] * block + torch.arange(block, device=dev)).reshape(batch, hkv - dense, 4096)
        idx = tok[..., None].expand(-1, -1, -1, d)
        g = hq // hkv

        def gathered(i):
            ks = torch.gather(k[:, dense:], 2, idx)
            vs = torch.gather(v[:, dense:], 2, idx)
            F.scaled_dot_product_attention(q[:, dense * g:], ks, vs, enable_gqa=True)
            if dense:
                F.scaled_dot_product_attention(q[:, : dense * g], k[:, :dense], v[:, :dense], enable_gqa=True)

        name = "tokens" if block == 1 else "blocks of 64"
        out[f"gather_attention | b8 32q/8kv d128 ctx128K, 4096 {name}, {dense}/8 dense"] = median_us(gathered)

json.dump(out, sys.stdout, indent=1)
print(file=sys.stderr)
for key, value in out.items():
    print(f"torch  {key}: {value:.1f} us", file=sys.stderr)
