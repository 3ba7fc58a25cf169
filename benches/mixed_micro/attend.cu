// Decode attention over shared-memory-staged K/V with fewer instructions a token: the
// experiment of docs/results/kernels.md "Session 21" (run_attend.py times it on LycheeDecode's
// b1 mixed layer; ring.cuh comes first).
//
// A producer warp copies units of 32 consecutive rows (8 KB of K, 8 KB of V) with cp.async.bulk
// into per-consumer-warp rings of SLOTS slots; unit j goes to warp j % W. In a unit, lane t owns
// token t for q.k (its 16 chunks of 8 dims read in a lane-staggered order, so a quarter warp's
// 16-byte reads hit distinct banks without padding; q, pre-scaled, from shared memory) and dims
// 4t..4t+3 for p.v (each token's weights read as one broadcast): ~60 instructions a token
// against ~109 for the gather family's 16 lanes a token. SKIP (diagnostics) leaves out q.k (1)
// or p.v (2). (The shared ring and padded-row variants of calls 7-8 are in commit 7256416.)
constexpr int HEAD_DIM = 128, GROUP = 4, UNIT = 32, ROW = HEAD_DIM * 2, UNIT_BYTES = UNIT * ROW, CHUNKS = HEAD_DIM / 8;
#ifndef W
#define W 6
#endif
#ifndef SLOTS  // ring slots a consumer warp
#define SLOTS 2
#endif
#ifndef SKIP
#define SKIP 0
#endif
constexpr int QSTRIDE = 12;  // a q chunk's 8 floats padded to 12: staggered reads hit distinct banks
constexpr float SLACK = 8.f;

// items[c] = {kv head, first unit, units}; unit_rows[u] = the unit's first absolute row
// (head * context + position), all 32 rows valid. Partials as the gather family writes them.
extern "C" __global__ void __launch_bounds__(32 * (W + 1), 1) bulk_attend(
    const unsigned short* __restrict__ q, const char* __restrict__ k, const char* __restrict__ v,
    const int4* __restrict__ items, const int* __restrict__ unit_rows, float scale,
    float* __restrict__ o_part, float* __restrict__ lse_part) {
    extern __shared__ __align__(128) unsigned char ring[];  // [W][SLOTS] slots of UNIT_BYTES K + UNIT_BYTES V
    __shared__ Rings<W, SLOTS> rings;
    __shared__ __align__(16) float sq[GROUP][CHUNKS][QSTRIDE];
    __shared__ __align__(16) float sp[W][UNIT][GROUP];
    __shared__ float sm_acc[W][GROUP][HEAD_DIM], sm_m[W][GROUP], sm_l[W][GROUP];
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x / 32, 0), lane = threadIdx.x % 32;
    const int4 item = items[blockIdx.x];
    if (threadIdx.x == 0) rings.init();
    for (int i = threadIdx.x; i < GROUP * HEAD_DIM; i += blockDim.x) {
        const unsigned short b = q[(size_t)item.x * GROUP * HEAD_DIM + i];
        sq[i / HEAD_DIM][(i % HEAD_DIM) / 8][i % 8] = __uint_as_float((unsigned)b << 16) * scale * LOG2E;
    }
    __syncthreads();
    const int units = item.z;
    if (warp == W) {
        produce_units<W, SLOTS, UNIT_BYTES, ROW>(ring, rings, k, v, unit_rows + item.y, units);
    } else {
        float m[GROUP], l[GROUP], acc[GROUP][4];
#pragma unroll
        for (int h = 0; h < GROUP; ++h) {
            m[h] = NEG_INF; l[h] = 0.f;
#pragma unroll
            for (int d = 0; d < 4; ++d) acc[h][d] = 0.f;
        }
        for (int j = warp; j < units; j += W) {
            const int s = rings.slot_of(j);
            mbar_wait(&rings.full[warp][s], rings.round_of(j) & 1);
            const unsigned char* slot = ring + (warp * SLOTS + s) * 2 * UNIT_BYTES;
            // q.k: lane = token.
            float sc[GROUP] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll 4
            for (int c = 0; c < (SKIP == 1 ? 1 : CHUNKS); ++c) {
                const int cc = (c + lane) % CHUNKS;
                const uint4 raw = *reinterpret_cast<const uint4*>(slot + lane * ROW + cc * 16);
                const unsigned wd[4] = {raw.x, raw.y, raw.z, raw.w};
                float kf[8];
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    kf[2 * i] = __uint_as_float(wd[i] << 16);
                    kf[2 * i + 1] = __uint_as_float(wd[i] & 0xffff0000u);
                }
#pragma unroll
                for (int h = 0; h < GROUP; ++h) {
                    const float4 a = *reinterpret_cast<const float4*>(&sq[h][cc][0]);
                    const float4 b = *reinterpret_cast<const float4*>(&sq[h][cc][4]);
                    sc[h] = fmaf(a.x, kf[0], sc[h]); sc[h] = fmaf(a.y, kf[1], sc[h]);
                    sc[h] = fmaf(a.z, kf[2], sc[h]); sc[h] = fmaf(a.w, kf[3], sc[h]);
                    sc[h] = fmaf(b.x, kf[4], sc[h]); sc[h] = fmaf(b.y, kf[5], sc[h]);
                    sc[h] = fmaf(b.z, kf[6], sc[h]); sc[h] = fmaf(b.w, kf[7], sc[h]);
                }
            }
            // Online softmax, the max warp-uniform per head.
            float p[GROUP];
#pragma unroll
            for (int h = 0; h < GROUP; ++h) {
                float mx = sc[h];
#pragma unroll
                for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
                if (mx > m[h] + SLACK) {
                    const float alpha = m[h] == NEG_INF ? 0.f : ex2(m[h] - mx);
                    l[h] *= alpha;
#pragma unroll
                    for (int d = 0; d < 4; ++d) acc[h][d] *= alpha;
                    m[h] = mx;
                }
                p[h] = ex2(sc[h] - m[h]);
                l[h] += p[h];
            }
            *reinterpret_cast<float4*>(&sp[warp][lane][0]) = make_float4(p[0], p[1], p[2], p[3]);
            __syncwarp();
            // p.v: lane = dims 4 lane .. 4 lane + 3.
#pragma unroll 8
            for (int t = 0; t < (SKIP == 2 ? 1 : UNIT); ++t) {
                const float4 pt = *reinterpret_cast<const float4*>(&sp[warp][t][0]);
                const uint2 raw = *reinterpret_cast<const uint2*>(slot + UNIT_BYTES + t * ROW + lane * 8);
                const float v0 = __uint_as_float(raw.x << 16), v1 = __uint_as_float(raw.x & 0xffff0000u);
                const float v2 = __uint_as_float(raw.y << 16), v3 = __uint_as_float(raw.y & 0xffff0000u);
                const float ph[4] = {pt.x, pt.y, pt.z, pt.w};
#pragma unroll
                for (int h = 0; h < GROUP; ++h) {
                    acc[h][0] = fmaf(ph[h], v0, acc[h][0]); acc[h][1] = fmaf(ph[h], v1, acc[h][1]);
                    acc[h][2] = fmaf(ph[h], v2, acc[h][2]); acc[h][3] = fmaf(ph[h], v3, acc[h][3]);
                }
            }
            __syncwarp();
            if (lane == 0) mbar_arrive(&rings.empty[warp][s]);
        }
#pragma unroll
        for (int h = 0; h < GROUP; ++h) {
            float ls = l[h];
#pragma unroll
            for (int o = 16; o > 0; o >>= 1) ls += __shfl_xor_sync(0xffffffffu, ls, o);
#pragma unroll
            for (int d = 0; d < 4; ++d) sm_acc[warp][h][4 * lane + d] = acc[h][d];
            if (lane == 0) { sm_m[warp][h] = m[h]; sm_l[warp][h] = ls; }
        }
    }
    __syncthreads();
    write_partial<W, GROUP, HEAD_DIM>(sm_acc, sm_m, sm_l, o_part, lse_part);
}
