// attend.cu's staged attention with 8 lanes a token (attend8.cu): the same producer and per-warp
// rings; in a consumer warp, lanes 8g..8g+7 take token 4p + g of each pass p of a unit (32 or 16 rows),
// lane part = lane % 8 its dims 8 part.. and 64 + 8 part.. (two 16-byte shared-memory reads of
// K and of V, each a quarter warp's contiguous 128 bytes), q of those dims in registers, the dot
// products summed over the 8 lanes by three shuffles. Against attend.cu's token a lane: q no
// longer read from shared memory (there its staggered reads cost 4 wavefronts each), ~52
// instructions a token. The experiment of docs/results/kernels.md "Session 21" (ring.cuh comes
// first).
#ifndef UNIT_ROWS  // rows of a unit (a ring slot holds one unit's K and V)
#define UNIT_ROWS 32
#endif
constexpr int HEAD_DIM = 128, GROUP = 4, UNIT = UNIT_ROWS, ROW = HEAD_DIM * 2, UNIT_BYTES = UNIT * ROW;
#ifndef W
#define W 6
#endif
#ifndef SLOTS  // ring slots a consumer warp
#define SLOTS 2
#endif
constexpr float SLACK = 8.f;

// items[c] = {kv head, first unit, units}; unit_rows[u] = the unit's first absolute row
// (head * context + position), all UNIT rows valid. Partials as the gather family writes them.
extern "C" __global__ void __launch_bounds__(32 * (W + 1), 1) bulk_attend8(
    const unsigned short* __restrict__ q, const char* __restrict__ k, const char* __restrict__ v,
    const int4* __restrict__ items, const int* __restrict__ unit_rows, float scale,
    float* __restrict__ o_part, float* __restrict__ lse_part) {
    extern __shared__ __align__(128) unsigned char ring[];  // [W][SLOTS] slots of UNIT_BYTES K + UNIT_BYTES V
    __shared__ Rings<W, SLOTS> rings;
    __shared__ float sm_acc[W][GROUP][HEAD_DIM], sm_m[W][GROUP], sm_l[W][GROUP];
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x / 32, 0), lane = threadIdx.x % 32;
    const int4 item = items[blockIdx.x];
    if (threadIdx.x == 0) rings.init();
    __syncthreads();
    const int units = item.z;
    if (warp == W) {
        produce_units<W, SLOTS, UNIT_BYTES, ROW>(ring, rings, k, v, unit_rows + item.y, units);
    } else {
        const int g = lane / 8, part = lane % 8;
        // q of dims 8 part.. and 64 + 8 part.., pre-scaled to log2 units.
        float qf[GROUP][16];
#pragma unroll
        for (int h = 0; h < GROUP; ++h)
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const uint4 raw = *reinterpret_cast<const uint4*>(q + ((size_t)item.x * GROUP + h) * HEAD_DIM + 64 * half + 8 * part);
                const unsigned wd[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    qf[h][8 * half + 2 * i] = __uint_as_float(wd[i] << 16) * scale * LOG2E;
                    qf[h][8 * half + 2 * i + 1] = __uint_as_float(wd[i] & 0xffff0000u) * scale * LOG2E;
                }
            }
        float m[GROUP], l[GROUP], acc[GROUP][16];
#pragma unroll
        for (int h = 0; h < GROUP; ++h) {
            m[h] = NEG_INF; l[h] = 0.f;
#pragma unroll
            for (int d = 0; d < 16; ++d) acc[h][d] = 0.f;
        }
        auto unpack16 = [](uint4 a, uint4 b, float (&f)[16]) {
            const unsigned wd[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 8; ++i) {
                f[2 * i] = __uint_as_float(wd[i] << 16);
                f[2 * i + 1] = __uint_as_float(wd[i] & 0xffff0000u);
            }
        };
        for (int j = warp; j < units; j += W) {
            const int s = rings.slot_of(j);
            mbar_wait(&rings.full[warp][s], rings.round_of(j) & 1);
            const unsigned char* slot = ring + (warp * SLOTS + s) * 2 * UNIT_BYTES;
#pragma unroll 2
            for (int pass = 0; pass < UNIT / 4; ++pass) {
                const unsigned char* krow = slot + (4 * pass + g) * ROW + 16 * part;
                float kf[16];
                unpack16(*reinterpret_cast<const uint4*>(krow), *reinterpret_cast<const uint4*>(krow + 128), kf);
                float sc[GROUP], p[GROUP];
#pragma unroll
                for (int h = 0; h < GROUP; ++h) {
                    float dot = 0.f;
#pragma unroll
                    for (int d = 0; d < 16; ++d) dot = fmaf(qf[h][d], kf[d], dot);
                    dot += __shfl_xor_sync(0xffffffffu, dot, 1);
                    dot += __shfl_xor_sync(0xffffffffu, dot, 2);
                    dot += __shfl_xor_sync(0xffffffffu, dot, 4);
                    sc[h] = dot;
                }
                // Online softmax over the pass's 4 tokens, the max warp-uniform.
#pragma unroll
                for (int h = 0; h < GROUP; ++h) {
                    const float mx = fmaxf(sc[h], fmaxf(__shfl_xor_sync(0xffffffffu, sc[h], 8),
                                                       fmaxf(__shfl_xor_sync(0xffffffffu, sc[h], 16), __shfl_xor_sync(0xffffffffu, sc[h], 24))));
                    if (mx > m[h] + SLACK) {
                        const float alpha = m[h] == NEG_INF ? 0.f : ex2(m[h] - mx);
                        l[h] *= alpha;
#pragma unroll
                        for (int d = 0; d < 16; ++d) acc[h][d] *= alpha;
                        m[h] = mx;
                    }
                    p[h] = ex2(sc[h] - m[h]);
                    l[h] += p[h];
                }
                const unsigned char* vrow = slot + UNIT_BYTES + (4 * pass + g) * ROW + 16 * part;
                float vf[16];
                unpack16(*reinterpret_cast<const uint4*>(vrow), *reinterpret_cast<const uint4*>(vrow + 128), vf);
#pragma unroll
                for (int h = 0; h < GROUP; ++h)
#pragma unroll
                    for (int d = 0; d < 16; ++d) acc[h][d] = fmaf(p[h], vf[d], acc[h][d]);
            }
            __syncwarp();
            if (lane == 0) mbar_arrive(&rings.empty[warp][s]);
        }
        // The 4 token groups share the (warp-uniform) max: their outputs and sums add up.
#pragma unroll
        for (int h = 0; h < GROUP; ++h) {
#pragma unroll
            for (int d = 0; d < 16; ++d) {
                acc[h][d] += __shfl_xor_sync(0xffffffffu, acc[h][d], 8);
                acc[h][d] += __shfl_xor_sync(0xffffffffu, acc[h][d], 16);
            }
            float ls = l[h] + __shfl_xor_sync(0xffffffffu, l[h], 8);
            ls += __shfl_xor_sync(0xffffffffu, ls, 16);  // every lane of a group holds its token's weights
            if (g == 0) {
#pragma unroll
                for (int d = 0; d < 8; ++d) {
                    sm_acc[warp][h][8 * part + d] = acc[h][d];
                    sm_acc[warp][h][64 + 8 * part + d] = acc[h][8 + d];
                }
            }
            if (lane == 0) { sm_m[warp][h] = m[h]; sm_l[warp][h] = ls; }
        }
    }
    __syncthreads();
    write_partial<W, GROUP, HEAD_DIM>(sm_acc, sm_m, sm_l, o_part, lse_part);
}
