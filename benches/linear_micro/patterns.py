#!/usr/bin/env python3
"""How fast each of `linear`'s weight access patterns streams a bf16 matrix, with nothing else to
do (GPU machine; CuPy): the CUDA-core path's (a warp reads 512 contiguous bytes of one row per
load) against the tensor-core path's (a load covers 64 bytes of 8 rows, the CTA's warps share
16 x ROWS rows and split their columns) and a tensor-core layout of whole lines (a load covers
128 bytes of 4 rows), at the same bytes in flight per lane.

  python3 benches/linear_micro/patterns.py [--runs N]

Each kernel folds the loaded bits into one word per CTA so that no load is dead. Timing as run.py:
spin ahead, CUDA events, 3 x L2 of matrix copies in turn, median.
"""
import argparse
import itertools

import cupy as cp
import numpy as np

SOURCE = r'''
extern "C" __global__ void sdec_spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }

__device__ __forceinline__ unsigned fold(uint4 v) { return v.x ^ v.y ^ v.z ^ v.w; }

// The CUDA-core path: warp w owns ROWS rows; lane l reads 16 bytes at column 8l + 256u of each.
extern "C" __global__ void __launch_bounds__(THREADS) rowwise(const unsigned short* __restrict__ w, unsigned* out, int out_dim, int in_dim) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int row0 = (blockIdx.x * (THREADS / 32) + warp) * ROWS;
    unsigned acc = 0;
    const int chunks = in_dim / 8;
    for (int c0 = lane; c0 < chunks; c0 += 32 * UNROLL) {
        uint4 wr[ROWS][UNROLL];
#pragma unroll
        for (int r = 0; r < ROWS; ++r)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const int c = c0 + u * 32, row = min(row0 + r, out_dim - 1);
                wr[r][u] = c < chunks ? __ldcs(reinterpret_cast<const uint4*>(w + (size_t)row * in_dim) + c) : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
        for (int r = 0; r < ROWS; ++r)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) acc ^= fold(wr[r][u]);
    }
    if (acc == 0x12345678u) out[blockIdx.x] = acc;
}

// The tensor-core path: the CTA owns 16 x ROWS rows, its warps split the 32-column chunks (UNROLL
// consecutive ones each); lane (gid, tig) reads 16 bytes at column 8tig of rows gid and gid + 8.
extern "C" __global__ void __launch_bounds__(THREADS) tiled(const unsigned short* __restrict__ w, unsigned* out, int out_dim, int in_dim) {
    constexpr int WARPS = THREADS / 32;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
    const int row0 = blockIdx.x * ROWS * 16;
    unsigned acc = 0;
    const int chunks = in_dim / 32;
    for (int c0 = warp * UNROLL; c0 < chunks; c0 += WARPS * UNROLL) {
        uint4 wr[ROWS][UNROLL][2];
#pragma unroll
        for (int t = 0; t < ROWS; ++t)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const int row = min(row0 + t * 16 + gid + h * 8, out_dim - 1), c = c0 + u;
                    wr[t][u][h] = c < chunks ? __ldcs(reinterpret_cast<const uint4*>(w + (size_t)row * in_dim + c * 32 + tig * 8)) : make_uint4(0, 0, 0, 0);
                }
#pragma unroll
        for (int t = 0; t < ROWS; ++t)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) acc ^= fold(wr[t][u][0]) ^ fold(wr[t][u][1]);
    }
    if (acc == 0x12345678u) out[blockIdx.x] = acc;
}

// Full lines for the tensor-core path: the CTA owns 16 x ROWS rows, its warps split 64-column
// super-chunks (UNROLL consecutive ones each); load i of a tile covers rows 4i..4i+3 of it, lane l
// reading 16 bytes of row 4i + l/8 at column 8(l%8): four rows x 128 bytes a load.
extern "C" __global__ void __launch_bounds__(THREADS) lines(const unsigned short* __restrict__ w, unsigned* out, int out_dim, int in_dim) {
    constexpr int WARPS = THREADS / 32;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int row0 = blockIdx.x * ROWS * 16;
    unsigned acc = 0;
    const int chunks = in_dim / 64;
    for (int c0 = warp * UNROLL; c0 < chunks; c0 += WARPS * UNROLL) {
        uint4 wr[ROWS][UNROLL][4];
#pragma unroll
        for (int t = 0; t < ROWS; ++t)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const int row = min(row0 + t * 16 + 4 * i + lane / 8, out_dim - 1), c = c0 + u;
                    wr[t][u][i] = c < chunks ? __ldcs(reinterpret_cast<const uint4*>(w + (size_t)row * in_dim + c * 64 + (lane % 8) * 8)) : make_uint4(0, 0, 0, 0);
                }
#pragma unroll
        for (int t = 0; t < ROWS; ++t)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int i = 0; i < 4; ++i) acc ^= fold(wr[t][u][i]);
    }
    if (acc == 0x12345678u) out[blockIdx.x] = acc;
}
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    out_dim, in_dim = 28672, 4096  # Llama-3.1-8B's gate|up
    nbytes = out_dim * in_dim * 2
    copies = max(2, -(-3 * (50 << 20) // nbytes))
    mats = [cp.ones(out_dim * in_dim, cp.uint16) for _ in range(copies)]
    out = cp.zeros(1 << 20, cp.uint32)
    spin = cp.RawModule(code=SOURCE, options=("-DTHREADS=32", "-DROWS=1", "-DUNROLL=1")).get_function("sdec_spin")
    cands = []
    for kind, threads, rows, unroll in itertools.product(["rowwise", "tiled", "lines"], [128, 256, 512], [1, 2, 4], [1, 2, 4, 8]):
        lanes_16b = rows * unroll * {"rowwise": 1, "tiled": 2, "lines": 4}[kind]  # 16-byte loads in flight a lane
        if lanes_16b not in (4, 8, 16):
            continue
        mod = cp.RawModule(code=SOURCE, options=(f"-DTHREADS={threads}", f"-DROWS={rows}", f"-DUNROLL={unroll}"))
        fn = mod.get_function(kind)
        grid = -(-out_dim // (threads // 32 * rows)) if kind == "rowwise" else -(-out_dim // (16 * rows))
        cands.append((f"{kind:8s} t{threads} r{rows} u{unroll} ({lanes_16b * 16} B a lane in flight)", fn, grid, threads))
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    samples = {c[0]: [] for c in cands}
    launch = 0
    for run in range(args.runs + 5):
        for label, fn, grid, threads in cands:
            spin((1,), (1,), (np.int64(200_000),))
            start.record()
            fn((grid,), (threads,), (mats[launch % copies], out, np.int32(out_dim), np.int32(in_dim)))
            stop.record()
            stop.synchronize()
            launch += 1
            if run >= 5:
                samples[label].append(cp.cuda.get_elapsed_time(start, stop) * 1000.0)
    for label, s in sorted(samples.items(), key=lambda kv: np.median(kv[1])):
        us = float(np.median(s))
        print(f"{label:50s} {us:8.2f} us  {nbytes / us / 1e6:.2f} TB/s")


if __name__ == "__main__":
    main()
