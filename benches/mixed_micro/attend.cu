// Decode attention over shared-memory-staged K/V with fewer instructions a token: the
// experiment of docs/results/kernels.md "Session 21" (benches/mixed_micro/run_attend.py times it
// on LycheeDecode's b1 mixed layer).
//
// A producer warp copies units of 32 consecutive rows (8 KB of K, 8 KB of V) with cp.async.bulk
// into per-consumer-warp rings of SLOTS slots; unit j goes to warp j % W. In a unit, lane t owns
// token t for q.k (its 16 chunks of 8 dims read in a lane-staggered order, so a quarter warp's
// 16-byte reads hit distinct banks without padding; q, pre-scaled, from shared memory) and dims
// 4t..4t+3 for p.v (each token's weights read as one broadcast): ~60 instructions a token
// against ~109 for the gather family's 16 lanes a token. Variants (-D): SHARED, one ring whose
// units of 32 W rows every warp takes its 32 of; PAD, rows copied one by one into padded rows
// so that q.k reads q as a broadcast; SKIP, diagnostics without q.k (1) or p.v (2).
constexpr int HEAD_DIM = 128, GROUP = 4, UNIT = 32, ROW = HEAD_DIM * 2, UNIT_BYTES = UNIT * ROW, CHUNKS = HEAD_DIM / 8;
#ifndef W
#define W 6
#endif
#ifndef SLOTS  // ring slots a consumer warp
#define SLOTS 2
#endif
#ifndef SHARED  // 1: every consumer warp takes its 32 tokens of every unit of 32 W tokens, through
#define SHARED 0 //    a ring of SLOTS units shared by the CTA (each slot released by all W warps)
#endif
#ifndef PAD  // 1: rows copied one by one (a lane a row) into rows padded by 16 bytes, so q.k walks
#define PAD 0 //    the chunks in the same order on every lane (q read as a broadcast)
#endif
#ifndef SKIP   // diagnostics: 1 leaves out q.k, 2 leaves out p.v (the result is then wrong)
#define SKIP 0
#endif
constexpr int QSTRIDE = 12;
constexpr int SROW = PAD ? ROW + 16 : ROW;        // bytes of a staged row
constexpr int SUNIT = UNIT * SROW;                 // bytes of a staged 32-row piece (K or V)
constexpr int V_OFF = SHARED ? W * SUNIT : SUNIT;  // bytes from a warp's K rows to its V rows
constexpr float LOG2E = 1.4426950408889634f, SLACK = 8.f;
#define NEG_INF __int_as_float(0xff800000)

__device__ __forceinline__ unsigned smem_u32(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(unsigned long long* bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_u32(bar)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect(unsigned long long* bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned long long* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_u32(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, unsigned parity) {
    asm volatile(
        "{\n .reg .pred done;\n"
        "wait_%=:\n mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        " @!done bra wait_%=;\n}" ::"r"(smem_u32(bar)),
        "r"(parity)
        : "memory");
}
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, unsigned bytes, unsigned long long* bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(smem_u32(dst)),
                 "l"(src), "r"(bytes), "r"(smem_u32(bar))
                 : "memory");
}
__device__ __forceinline__ float ex2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// items[c] = {kv head, first unit, units}; unit_rows[u] = the unit's first absolute row
// (head * context + position), all 32 rows valid. Partials as the gather family writes them.
extern "C" __global__ void __launch_bounds__(32 * (W + 1), 1) bulk_attend(
    const unsigned short* __restrict__ q, const char* __restrict__ k, const char* __restrict__ v,
    const int4* __restrict__ items, const int* __restrict__ unit_rows, float scale,
    float* __restrict__ o_part, float* __restrict__ lse_part) {
    extern __shared__ __align__(128) unsigned char ring[];  // [W][SLOTS] slots of UNIT_BYTES K + UNIT_BYTES V
    __shared__ unsigned long long full[W][SLOTS], empty[W][SLOTS];
    __shared__ __align__(16) float sq[GROUP][CHUNKS][QSTRIDE];  // a chunk's 8 floats padded to 12: distinct banks
    __shared__ __align__(16) float sp[W][UNIT][GROUP];
    __shared__ float sm_acc[W][GROUP][HEAD_DIM], sm_m[W][GROUP], sm_l[W][GROUP];
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x / 32, 0), lane = threadIdx.x % 32;
    const int4 item = items[blockIdx.x];
    if (threadIdx.x == 0) {
        for (int w = 0; w < W; ++w)
            for (int s = 0; s < SLOTS; ++s) {
                mbar_init(&full[w][s], 1);
                mbar_init(&empty[w][s], SHARED ? W : 1);
            }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    for (int i = threadIdx.x; i < GROUP * HEAD_DIM; i += blockDim.x) {
        const unsigned short b = q[(size_t)item.x * GROUP * HEAD_DIM + i];
        sq[i / HEAD_DIM][(i % HEAD_DIM) / 8][i % 8] = __uint_as_float((unsigned)b << 16) * scale * LOG2E;
    }
    __syncthreads();
    const int units = item.z;
    if (SHARED && warp == W) {
        // The rows of the next 32 units' pieces (W a unit), one per lane.
        const int pieces = units;  // units of 32 rows, W of them a shared unit
        unsigned char* base = ring;
        for (int j0 = 0; j0 < pieces; j0 += 32) {
            const int mine = j0 + lane < pieces ? unit_rows[item.y + j0 + lane] : 0;
            for (int jj = 0; jj < 32 && j0 + jj < pieces; ++jj) {
                const int piece = j0 + jj, j = piece / W, part = piece % W;
                const int row = __shfl_sync(0xffffffffu, mine, jj);
                if (lane == 0) {
                    const int s = j % SLOTS, round = j / SLOTS;
                    if (part == 0) {
                        if (round > 0) mbar_wait(&empty[0][s], (round - 1) & 1);
                        const int n = min(W, pieces - j * W);
                        mbar_expect(&full[0][s], 2 * UNIT_BYTES * n);
                    }
                    unsigned char* slot = base + s * 2 * W * UNIT_BYTES + part * UNIT_BYTES;
                    const size_t at = (size_t)row * ROW;
                    bulk_copy(slot, k + at, UNIT_BYTES, &full[0][s]);
                    bulk_copy(slot + W * UNIT_BYTES, v + at, UNIT_BYTES, &full[0][s]);
                }
                __syncwarp();
            }
        }
    } else if (warp == W) {
        // The rows of the next 32 units are loaded at once (one per lane), so the copies do not
        // wait for a load each.
        for (int j0 = 0; j0 < units; j0 += 32) {
            const int mine = j0 + lane < units ? unit_rows[item.y + j0 + lane] : 0;
            for (int jj = 0; jj < 32 && j0 + jj < units; ++jj) {
                const int j = j0 + jj;
                const int row = __shfl_sync(0xffffffffu, mine, jj);
                // Units go to the warps in turn (unit j: warp j % W, its slot (j / W) % SLOTS), so
                // the warps' counts differ by one at most.
                const int w = j % W, s = (j / W) % SLOTS, round = j / (SLOTS * W);
                unsigned char* slot = ring + (w * SLOTS + s) * 2 * SUNIT;
                if (lane == 0) {
                    if (round > 0) mbar_wait(&empty[w][s], (round - 1) & 1);
                    mbar_expect(&full[w][s], 2 * UNIT_BYTES);
                }
                __syncwarp();
                if (PAD) {
                    const size_t at = (size_t)(row + lane) * ROW;
                    bulk_copy(slot + lane * SROW, k + at, ROW, &full[w][s]);
                    bulk_copy(slot + SUNIT + lane * SROW, v + at, ROW, &full[w][s]);
                } else if (lane == 0) {
                    const size_t at = (size_t)row * ROW;
                    bulk_copy(slot, k + at, UNIT_BYTES, &full[w][s]);
                    bulk_copy(slot + UNIT_BYTES, v + at, UNIT_BYTES, &full[w][s]);
                }
                __syncwarp();
            }
        }
    } else {
        float m[GROUP], l[GROUP], acc[GROUP][4];
#pragma unroll
        for (int h = 0; h < GROUP; ++h) {
            m[h] = NEG_INF; l[h] = 0.f;
#pragma unroll
            for (int d = 0; d < 4; ++d) acc[h][d] = 0.f;
        }
        const int first = SHARED ? 0 : warp;
        const int count = SHARED ? (units + W - 1) / W : units;
        for (int j = first; j < count; j += SHARED ? 1 : W) {
            const int s = SHARED ? j % SLOTS : (j / W) % SLOTS;
            if (SHARED && j * W + warp >= units) {  // no piece for this warp in the last unit
                mbar_wait(&full[0][s], (j / SLOTS) & 1);
                __syncwarp();
                if (lane == 0) mbar_arrive(&empty[0][s]);
                continue;
            }
            mbar_wait(SHARED ? &full[0][s] : &full[warp][s], SHARED ? (j / SLOTS) & 1 : (j / (SLOTS * W)) & 1);
            // K rows of this warp's 32 tokens; V rows at V_OFF past them.
            const unsigned char* slot = SHARED ? ring + s * 2 * W * UNIT_BYTES + warp * UNIT_BYTES : ring + (warp * SLOTS + s) * 2 * SUNIT;
            // q.k: lane = token.
            float sc[GROUP] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll 4
            for (int c = 0; c < (SKIP == 1 ? 1 : CHUNKS); ++c) {
                const int cc = PAD ? c : (c + lane) % CHUNKS;
                const uint4 raw = *reinterpret_cast<const uint4*>(slot + lane * SROW + cc * 16);
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
                const uint2 raw = *reinterpret_cast<const uint2*>(slot + V_OFF + t * SROW + lane * 8);
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
            if (lane == 0) mbar_arrive(SHARED ? &empty[0][s] : &empty[warp][s]);
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
    for (int t = threadIdx.x; t < GROUP * HEAD_DIM; t += blockDim.x) {
        const int g = t / HEAD_DIM, d = t % HEAD_DIM;
        float m_all = NEG_INF;
        for (int w = 0; w < W; ++w) m_all = fmaxf(m_all, sm_m[w][g]);
        float l_all = 0.f, o_all = 0.f;
        for (int w = 0; w < W; ++w) {
            const float f = sm_m[w][g] == NEG_INF ? 0.f : exp2f(sm_m[w][g] - m_all);
            l_all += sm_l[w][g] * f;
            o_all += sm_acc[w][g][d] * f;
        }
        o_part[((size_t)blockIdx.x * GROUP + g) * HEAD_DIM + d] = l_all > 0.f ? o_all / l_all : 0.f;
        if (d == 0) lse_part[(size_t)blockIdx.x * GROUP + g] = l_all > 0.f ? m_all + log2f(l_all) : NEG_INF;
    }
}
