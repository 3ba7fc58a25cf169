// Decode attention on tensor cores over TMA-staged K/V: the experiment of docs/results/kernels.md
// "Session 22" (run_attend.py times it on LycheeDecode's b1 mixed layer beside attend.cu;
// ring.cuh comes first).
//
// The producer warp stages each unit of 32 consecutive rows with four TMA tensor copies (K and V,
// dims 0-63 and 64-127: boxes of 32 rows x 128 bytes) into its consumer warp's ring. The copies
// swizzle 128-byte rows (16-byte chunk c of row r lands at chunk c ^ (r % 8)), so the eight rows
// an ldmatrix phase reads fall in distinct banks without padding, which one-row bulk copies could
// only get at a copy a row (session 21: ~86 µs for the layer). A consumer warp takes a unit as two
// tiles of 16 tokens: S^T = K Q^T by mma.m16n8k16 (A fragments by ldmatrix, Q^T's B fragments in
// registers), the online softmax on S^T's C fragments, P^T by movmatrix in bf16 hi + lo parts, and
// O^T += V^T P^T (ldmatrix.trans), as the gather family's `mma` path does on its padded ring.
// SCORES = 1 also writes every unit's max over its tokens of the group's summed logits / GROUP
// (LycheeDecode's block score, here per 32-token unit) from the same fragments.
// LISTS = 1 reads token lists instead of units (as LycheeDecode's sparse heads do): each group of
// 32 list entries whose valid ids are one run (id = first + lane, -1 elsewhere: the index's
// blocks, sink and recent windows) is one box per half row, its -1 rows masked; any other group
// is copied row by row by the producer's lanes (cp.async, a row a lane) into the same swizzled layout.
constexpr int HEAD_DIM = 128, GROUP = 4, UNIT = 32, TILE = 16;
constexpr int BOX_BYTES = UNIT * 128;             // one TMA box: 32 rows x 64 dims
constexpr int SLOT_BYTES = 4 * BOX_BYTES;         // K dims 0-63, K 64-127, V 0-63, V 64-127
constexpr int D_TILES = HEAD_DIM / 16;
#ifndef W
#define W 6
#endif
#ifndef SLOTS  // ring slots a consumer warp
#define SLOTS 2
#endif
#ifndef SCORES
#define SCORES 0
#endif
#ifndef LISTS
#define LISTS 0
#endif
constexpr float SLACK = 8.f;

__device__ __forceinline__ void tma_box(void* dst, const void* map, int x, int y, unsigned long long* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(smem_u32(dst)),
        "l"(map), "r"(x), "r"(y), "r"(smem_u32(bar))
        : "memory");
}
// 16 bytes global -> shared without registers; `valid` false writes zeros and reads nothing.
__device__ __forceinline__ void copy16(void* dst, const void* src, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(smem_u32(dst)), "l"(src), "r"(valid ? 16 : 0) : "memory");
}
__device__ __forceinline__ void mma16816(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void ldsm_x4(unsigned (&a)[4], unsigned addr, bool trans) {
    if (trans)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                     : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3]) : "r"(addr) : "memory");
    else
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                     : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3]) : "r"(addr) : "memory");
}
__device__ __forceinline__ unsigned movmatrix_t(unsigned x) {
    unsigned y;
    asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(y) : "r"(x));
    return y;
}
// Two floats as bf16 x2 (lo = the first), rounded to nearest even.
__device__ __forceinline__ unsigned pack2(float lo, float hi) {
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// items[c] = {kv head, first unit, units}; unit_rows[u] = the unit's first absolute row
// (head * context + position), all 32 rows valid; maps = the K and V tensor maps (128 bytes
// each, in global memory). With LISTS: items[c] = {kv head, first entry, groups of 32 entries},
// unit_rows the heads' token lists ([heads][context] positions, -1: none). Partials as the
// gather family writes them.
extern "C" __global__ void __launch_bounds__(32 * (W + 1), 1) tc_attend(
    const unsigned short* __restrict__ q, const unsigned char* __restrict__ maps, const char* __restrict__ k,
    const char* __restrict__ v, const int4* __restrict__ items,
    const int* __restrict__ unit_rows, float scale, float* __restrict__ o_part, float* __restrict__ lse_part,
    float* __restrict__ unit_scores, int context) {
    extern __shared__ unsigned char ring_raw[];  // [W][SLOTS] slots, from the first 1024-byte boundary
    __shared__ Rings<W, SLOTS> rings;
    __shared__ float sm_acc[W][GROUP][HEAD_DIM], sm_m[W][GROUP], sm_l[W][GROUP];
    __shared__ unsigned sm_valid[W][SLOTS];  // LISTS: a slot's valid rows (bit r: row r)
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x / 32, 0), lane = threadIdx.x % 32;
    // The swizzle repeats every 8 rows of 128 bytes: boxes start on 1024-byte boundaries.
    const unsigned ring = (smem_u32(ring_raw) + 1023u) & ~1023u;
    unsigned char* ring_ptr = ring_raw + (ring - smem_u32(ring_raw));
    const int4 item = items[blockIdx.x];
    if (threadIdx.x == 0) rings.init();
    __syncthreads();
    const int units = item.z;
    if (warp == W) {
        const void* kmap = maps;
        const void* vmap = maps + 128;
        if (LISTS) {
            // The ids of AHEAD groups are loaded while the groups before them are issued (a
            // group's copies wait for its ids: one round trip a group was ~8 µs of the layer).
            constexpr int AHEAD = 8;
            const int* list = unit_rows + (size_t)item.x * context + item.y + lane;
            int cur[AHEAD], nxt[AHEAD];
#pragma unroll
            for (int a = 0; a < AHEAD; ++a) cur[a] = a < units ? list[32 * a] : -1;
            for (int j0 = 0; j0 < units; j0 += AHEAD) {
#pragma unroll
            for (int a = 0; a < AHEAD; ++a) nxt[a] = j0 + AHEAD + a < units ? list[32 * (j0 + AHEAD + a)] : -1;
#pragma unroll
            for (int a = 0; a < AHEAD; ++a) {
                const int j = j0 + a;
                if (j >= units) break;
                const int id = cur[a];
                const int first = __reduce_max_sync(0xffffffffu, id >= 0 ? id - lane : -(1 << 30));
                const unsigned valid = __ballot_sync(0xffffffffu, id >= 0);
                const bool run = __all_sync(0xffffffffu, id < 0 || id == first + lane);
                const int w = rings.warp_of(j), s = rings.slot_of(j);
                const unsigned round = rings.round_of(j);
                if (round > 0) mbar_wait(&rings.empty[w][s], (round - 1) & 1);
                unsigned char* slot = ring_ptr + (w * SLOTS + s) * SLOT_BYTES;
                if (lane == 0) sm_valid[w][s] = valid;
                if (run && valid) {
                    if (lane == 0) {
                        const int row = item.x * context + first;
                        mbar_expect(&rings.full[w][s], SLOT_BYTES);
                        tma_box(slot, kmap, 0, row, &rings.full[w][s]);
                        tma_box(slot + BOX_BYTES, kmap, 64, row, &rings.full[w][s]);
                        tma_box(slot + 2 * BOX_BYTES, vmap, 0, row, &rings.full[w][s]);
                        tma_box(slot + 3 * BOX_BYTES, vmap, 64, row, &rings.full[w][s]);
                    }
                } else {
                    // Row `lane` by this lane's cp.async copies, swizzled as a box would be (zeros
                    // where not valid); the slot's barrier also waits for them (each lane's
                    // tracking arrive adds one to the phase's count, lane 0's arrive is the one
                    // it expects).
                    const size_t at = ((size_t)item.x * context + (id >= 0 ? id : 0)) * HEAD_DIM;
#pragma unroll
                    for (int c = 0; c < HEAD_DIM / 8; ++c) {
                        const int to = (c / 8) * BOX_BYTES + lane * 128 + (((c % 8) ^ (lane % 8)) << 4);
                        copy16(slot + to, k + 2 * (at + 8 * c), id >= 0);
                        copy16(slot + 2 * BOX_BYTES + to, v + 2 * (at + 8 * c), id >= 0);
                    }
                    asm volatile("cp.async.mbarrier.arrive.shared::cta.b64 [%0];" ::"r"(smem_u32(&rings.full[w][s])) : "memory");
                    __syncwarp();
                    if (lane == 0) mbar_arrive(&rings.full[w][s]);
                }
                __syncwarp();
            }
#pragma unroll
            for (int a = 0; a < AHEAD; ++a) cur[a] = nxt[a];
            }
        } else
        for (int j0 = 0; j0 < units; j0 += 32) {
            const int mine = j0 + lane < units ? unit_rows[item.y + j0 + lane] : 0;
            for (int jj = 0; jj < 32 && j0 + jj < units; ++jj) {
                const int j = j0 + jj, row = __shfl_sync(0xffffffffu, mine, jj);
                if (lane == 0) {
                    const int w = rings.warp_of(j), s = rings.slot_of(j);
                    const unsigned round = rings.round_of(j);
                    if (round > 0) mbar_wait(&rings.empty[w][s], (round - 1) & 1);
                    mbar_expect(&rings.full[w][s], SLOT_BYTES);
                    unsigned char* slot = ring_ptr + (w * SLOTS + s) * SLOT_BYTES;
                    tma_box(slot, kmap, 0, row, &rings.full[w][s]);
                    tma_box(slot + BOX_BYTES, kmap, 64, row, &rings.full[w][s]);
                    tma_box(slot + 2 * BOX_BYTES, vmap, 0, row, &rings.full[w][s]);
                    tma_box(slot + 3 * BOX_BYTES, vmap, 64, row, &rings.full[w][s]);
                }
                __syncwarp();
            }
        }
    } else {
        const int gid = lane / 4, tig = lane % 4;
        const float qscale = scale * LOG2E;
        // Q^T's B fragments: head gid (zero past GROUP), dims 16ks + 2tig (+1) and + 8.
        unsigned qb[D_TILES][2];
#pragma unroll
        for (int ks = 0; ks < D_TILES; ++ks) {
            const unsigned short* qrow = q + ((size_t)item.x * GROUP + gid) * HEAD_DIM + 16 * ks + 2 * tig;
            qb[ks][0] = gid < GROUP ? *reinterpret_cast<const unsigned*>(qrow) : 0u;
            qb[ks][1] = gid < GROUP ? *reinterpret_cast<const unsigned*>(qrow + 8) : 0u;
        }
        float m[2] = {NEG_INF, NEG_INF}, l[2] = {0.f, 0.f}, o[D_TILES][4];
#pragma unroll
        for (int i = 0; i < D_TILES; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
        // This lane's ldmatrix rows within a tile and their swizzled 16-byte chunks: K as A
        // (matrix i = lane / 8: rows 8(i % 2).., chunk 2ks + i / 2), V as A of V^T (rows
        // 8(i / 2).., chunk 2 m-tile + i % 2). Rows are 128 bytes in a box; r % 8 = lane % 8.
        const int sw = lane % 8, mat = lane / 8;
        const unsigned k_row = (unsigned)(8 * (mat % 2) + sw) * 128, k_half = mat / 2;
        const unsigned v_row = (unsigned)(8 * (mat / 2) + sw) * 128, v_half = mat % 2;
        for (int j = warp; j < units; j += W) {
            const int s = rings.slot_of(j);
            mbar_wait(&rings.full[warp][s], rings.round_of(j) & 1);
            const unsigned slot = ring + (warp * SLOTS + s) * SLOT_BYTES;
            const unsigned valid = LISTS ? sm_valid[warp][s] : 0xffffffffu;
            float unit_best = NEG_INF;
#pragma unroll
            for (int t = 0; t < UNIT / TILE; ++t) {
                float sc[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
                for (int ks = 0; ks < D_TILES; ++ks) {
                    const unsigned chunk = (2 * ks + k_half) % 8;
                    unsigned a[4];
                    ldsm_x4(a, slot + (ks / 4) * BOX_BYTES + t * TILE * 128 + k_row + ((chunk ^ sw) << 4), false);
                    mma16816(sc, a, qb[ks][0], qb[ks][1]);
                }
#pragma unroll
                for (int c = 0; c < 4; ++c) sc[c] = (valid >> (t * TILE + gid + 8 * (c / 2))) & 1u ? sc[c] * qscale : NEG_INF;
                if (SCORES) {
                    // Tokens gid and gid + 8, heads 2tig and 2tig + 1: heads 0-3 sit in tig 0 and 1.
                    float a = sc[0] + sc[1], b = sc[2] + sc[3];
                    a += __shfl_xor_sync(0xffffffffu, a, 1);
                    b += __shfl_xor_sync(0xffffffffu, b, 1);
                    unit_best = fmaxf(unit_best, tig < 2 ? fmaxf(a, b) : NEG_INF);
                }
                // Online softmax per head (2tig + h), the max over the tile's 16 tokens.
                float alpha[2], m_use[2];
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    float mx = fmaxf(sc[h], sc[h + 2]);
#pragma unroll
                    for (int off = 4; off < 32; off <<= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
                    const float m_new = mx > m[h] + SLACK ? mx : m[h];
                    m_use[h] = m_new == NEG_INF ? 0.f : m_new;  // nothing valid yet: every weight is 0
                    alpha[h] = m[h] == NEG_INF ? 0.f : ex2(m[h] - m_new);
                    m[h] = m_new;
                    l[h] *= alpha[h];
                }
                if (alpha[0] != 1.f || alpha[1] != 1.f) {
#pragma unroll
                    for (int i = 0; i < D_TILES; ++i) {
                        o[i][0] *= alpha[0]; o[i][2] *= alpha[0];
                        o[i][1] *= alpha[1]; o[i][3] *= alpha[1];
                    }
                }
                float p[4];
#pragma unroll
                for (int c = 0; c < 4; ++c) {
                    p[c] = ex2(sc[c] - m_use[c % 2]);
                    l[c % 2] += p[c];
                }
                unsigned hi[2], lo[2];
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    hi[h] = pack2(p[2 * h], p[2 * h + 1]);
                    lo[h] = pack2(p[2 * h] - __uint_as_float(hi[h] << 16), p[2 * h + 1] - __uint_as_float(hi[h] & 0xffff0000u));
                    hi[h] = movmatrix_t(hi[h]);
                    lo[h] = movmatrix_t(lo[h]);
                }
#pragma unroll
                for (int i = 0; i < D_TILES; ++i) {
                    const unsigned chunk = (2 * i + v_half) % 8;
                    unsigned a[4];
                    ldsm_x4(a, slot + (2 + i / 4) * BOX_BYTES + t * TILE * 128 + v_row + ((chunk ^ sw) << 4), true);
                    mma16816(o[i], a, hi[0], hi[1]);
                    mma16816(o[i], a, lo[0], lo[1]);
                }
            }
            if (SCORES) {
#pragma unroll
                for (int off = 1; off < 32; off <<= 1) unit_best = fmaxf(unit_best, __shfl_xor_sync(0xffffffffu, unit_best, off));
                if (lane == 0) unit_scores[item.y + j] = unit_best / (GROUP * qscale);
            }
            __syncwarp();
            if (lane == 0) mbar_arrive(&rings.empty[warp][s]);
        }
        // The warp's partial: O^T's rows (dims 16i + gid, + 8) by head 2tig + h; sums over gid.
#pragma unroll
        for (int h = 0; h < 2; ++h) {
#pragma unroll
            for (int off = 4; off < 32; off <<= 1) l[h] += __shfl_xor_sync(0xffffffffu, l[h], off);
            const int g = 2 * tig + h;
            if (g < GROUP) {
#pragma unroll
                for (int i = 0; i < D_TILES; ++i) {
                    sm_acc[warp][g][16 * i + gid] = o[i][h];
                    sm_acc[warp][g][16 * i + gid + 8] = o[i][h + 2];
                }
                if (gid == 0) { sm_m[warp][g] = m[h]; sm_l[warp][g] = l[h]; }
            }
        }
    }
    __syncthreads();
    write_partial<W, GROUP, HEAD_DIM>(sm_acc, sm_m, sm_l, o_part, lse_part);
}
