// Causal attention of a chunk of QROWS consecutive queries per sequence (SpecAttn's verification
// of gamma drafts + 1, and chunked prefill), bf16 K/V, fp32 accumulation, on tensor cores.
//
// The chunk's K and V are already in the cache: `context` counts them, and query r of the chunk
// (position context - QROWS + r) sees tokens [0, context - QROWS + r]. With GROUP query heads per
// KV head, one KV head serves R = GROUP * QROWS query rows (row rho = r * GROUP + g), far too many
// for the one-lane-per-dims scheme of attention.cu (28 rows for Llama's group 4 and gamma 6 would
// be compute-bound on CUDA cores), so rows go through mma.sync m16n8k16 in M_TILES tiles of 16.
//
// One CTA takes SPLIT_TOKENS tokens of one (batch, KV head) and streams them through shared memory
// in tiles of TILE tokens, so K and V are read from memory once for all R rows. TMA = 0: two
// stages, so the next tile's cp.async loads are in flight while the warps compute on this one;
// warp w owns m-tile w % M_TILES and token quarter w / M_TILES of every tile. TMA = 1: a producer
// warp stages units of 32 tokens for TOKEN_WARPS groups of M_TILES warps (below). Either way a
// warp keeps an online softmax per row and writes its own partial (normalised output,
// log2-sum-exp), which `chunk_combine` merges.
//
// Fragments (PTX ISA, mma.m16n8k16 with .bf16): lane = 4*gid + tig. A (16x16, rows x k): regs
// {(gid, 2tig..+1), (gid+8, 2tig..+1), (gid, 2tig+8..+9), (gid+8, 2tig+8..+9)}. B (16x8, k x n):
// {(2tig..+1, gid), (2tig+8..+9, gid)}. C (16x8): {(gid, 2tig), (gid, 2tig+1), (gid+8, 2tig),
// (gid+8, 2tig+1)}. Two adjacent C tiles of S = QK^T are then exactly the A fragment of P for PV.

constexpr int ROWS = GROUP * QROWS;
constexpr int M_TILES = (ROWS + 15) / 16;
constexpr int CONSUMERS = M_TILES * TOKEN_WARPS;    // warps computing on tensor cores
constexpr int WARPS = CONSUMERS + (TMA ? 1 : 0);    // TMA: + the producer warp
constexpr int UNIT = 32;                           // TMA: tokens of a staged unit (one box tall)
constexpr int WARP_TOKENS = TMA ? UNIT : TILE / TOKEN_WARPS;  // tokens one warp scores at a time
constexpr int S_TILES = WARP_TOKENS / 8;          // n-tiles of S per warp
constexpr int K_STEPS = HEAD_DIM / 16;            // k-steps of QK^T
constexpr int O_TILES = HEAD_DIM / 8;             // n-tiles of the output
constexpr int STRIDE = HEAD_DIM + 8;              // smem row pitch (bf16): conflict-free fragment loads

// SpecAttn's selection reads every verify row's logits back instead of K (WRITE_LOGITS), in 8
// bits (kernels-gen/src/logit_codes.rs has the layout and the reference): per row and unit of 32
// tokens, the unit's max logit m (fp32, log2 units) and a code a token, min(255, round(16 (m -
// logit))), 255 also for masked tokens. Blocks of 128 tokens, [batch*kv_heads][blocks]: codes
// [ROWS][128], then the rows' unit maxes [ROWS][4]. A warp stages its m-tile's 16 rows of codes
// in shared memory and writes each unit's rows as 32-byte pieces, a 16-byte store a lane (the
// fragments alone would store 2-byte pieces).
constexpr int CODE_UNIT = 32;
constexpr int CODE_BLOCK_TOKENS = 128;
constexpr int CODE_BLOCK = ROWS * (CODE_BLOCK_TOKENS + 4 * (CODE_BLOCK_TOKENS / CODE_UNIT));  // bytes
constexpr int WARP_UNITS = WARP_TOKENS >= CODE_UNIT ? WARP_TOKENS / CODE_UNIT : 1;  // units a warp's tokens span
static_assert(!WRITE_LOGITS || WARP_TOKENS % CODE_UNIT == 0, "a warp codes whole units of logits");
// round(16 (m - logit)) clamped at 255, as the float's low byte: adding 1.5 * 2^23 leaves the
// rounded (to nearest even) integer in the low mantissa bits, so no conversion instruction
// (those share the exp2's slow unit); fminf drops the NaN of (-inf) - (-inf) (a unit the row
// sees none of): code 255.
__device__ __forceinline__ u32 logit_code_bits(float m, float logit) {
    return __float_as_uint(fminf((m - logit) * 16.f, 255.f) + 12582912.f);
}
__device__ __forceinline__ void stage_codes(unsigned char* __restrict__ sm, int gid, int tig, int j, const float (&s)[4], const float (&m)[2]) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const u32 pair = __byte_perm(logit_code_bits(m[half], s[2 * half]), logit_code_bits(m[half], s[2 * half + 1]), 0x0040u);
        *reinterpret_cast<unsigned short*>(sm + (gid + 8 * half) * WARP_TOKENS + j * 8 + 2 * tig) = (unsigned short)pair;
    }
}
// Unit u of the warp's tokens from t0 (a multiple of 32): its codes, then (lanes tig == 0) the
// maxes of rows gid and gid + 8.
__device__ __forceinline__ void store_codes(unsigned char* __restrict__ codes, const unsigned char* __restrict__ sm, const float (&m)[2],
                                            int head, int row0, int t0, int u, int capacity, int lane) {
    const int blocks = (capacity + CODE_BLOCK_TOKENS - 1) / CODE_BLOCK_TOKENS, t = t0 + u * CODE_UNIT;
    unsigned char* block = codes + ((size_t)head * blocks + t / CODE_BLOCK_TOKENS) * CODE_BLOCK;
    const int sub = t % CODE_BLOCK_TOKENS / CODE_UNIT;  // the unit's place in its block
    const int r = lane / 2, piece = lane % 2;
    if (row0 + r < ROWS)
        *reinterpret_cast<uint4*>(block + (row0 + r) * CODE_BLOCK_TOKENS + sub * CODE_UNIT + piece * 16) =
            *reinterpret_cast<const uint4*>(sm + r * WARP_TOKENS + u * CODE_UNIT + piece * 16);
    if (lane % 4 == 0) {
        float* maxes = reinterpret_cast<float*>(block + ROWS * CODE_BLOCK_TOKENS);
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int rho = row0 + lane / 4 + 8 * half;
            if (rho < ROWS) maxes[rho * (CODE_BLOCK_TOKENS / CODE_UNIT) + sub] = m[half];
        }
    }
}

// What a warp carries across its tokens: the running max and sum of its two rows (gid and
// gid + 8 of its m-tile) and their unnormalised output.
struct RowState {
    float m[2], l[2];
    float o[O_TILES][4];
};

// One warp's WARP_TOKENS tokens from `t0` after S = Q K^T (raw, in s): scaled to log2 units and
// masked (past `end`, or after the row's own position), the logits written when asked, the
// online softmax advanced, and P returned as PV's A fragments in bf16 hi + lo parts: P carries
// 16 bits of precision instead of bf16's 8, so the chunk pass matches the decode step's fp32
// weights (SpecAttn's verification must reproduce full decoding's greedy tokens).
__device__ __forceinline__ void softmax_step(float (&s)[S_TILES][4], RowState& st, u32 (&pa)[S_TILES / 2][4], u32 (&pa_lo)[S_TILES / 2][4],
                                             int t0, int end, const int (&row_lim)[2], float qscale, unsigned char* codes_sm,
                                             unsigned char* codes, int head, int row0, int capacity) {
    const int lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
#pragma unroll
    for (int j = 0; j < S_TILES; ++j) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int t = t0 + j * 8 + 2 * tig + (i & 1);
            s[j][i] = (t < end && t <= row_lim[i >> 1]) ? s[j][i] * qscale : -SDEC_INF;
        }
    }

    // Each row's max over each unit of 32 tokens when coding logits, else over all the warp's
    // (a row's values are spread over the 4 lanes of its quad, which then agree): the codes'
    // reference, and over all, the online softmax's.
    constexpr int MAX_UNITS = WRITE_LOGITS ? WARP_UNITS : 1;
    constexpr int UNIT_TILES = S_TILES / MAX_UNITS;  // n-tiles of a unit
    float unit_mx[MAX_UNITS][2], mx[2] = {-SDEC_INF, -SDEC_INF};
#pragma unroll
    for (int u = 0; u < MAX_UNITS; ++u) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            float m = -SDEC_INF;
#pragma unroll
            for (int j = u * UNIT_TILES; j < (u + 1) * UNIT_TILES; ++j) m = fmaxf(m, fmaxf(s[j][2 * half], s[j][2 * half + 1]));
            m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, 1));
            m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, 2));
            unit_mx[u][half] = m;
            mx[half] = fmaxf(mx[half], m);
        }
    }
    if constexpr (WRITE_LOGITS) {
#pragma unroll
        for (int j = 0; j < S_TILES; ++j) stage_codes(codes_sm, gid, tig, j, s[j], unit_mx[j / UNIT_TILES]);
        __syncwarp();
        // A unit wholly past `end` (the tile's tail past the context) belongs to no row.
#pragma unroll
        for (int u = 0; u < WARP_UNITS; ++u)
            if (t0 + u * CODE_UNIT < end) store_codes(codes, codes_sm, unit_mx[u], head, row0, t0, u, capacity, lane);
        __syncwarp();  // the staging tile is free for the next tokens
    }

    float alpha[2];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const float m_new = mx[half] > st.m[half] + SDEC_RESCALE_SLACK ? mx[half] : st.m[half];
        alpha[half] = m_new == -SDEC_INF ? 1.f : exp2_fast(st.m[half] - m_new);
        st.m[half] = m_new;
    }
    float sum[2] = {0.f, 0.f};
#pragma unroll
    for (int j = 0; j < S_TILES; ++j) {
        float p[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float mm = st.m[i >> 1];
            p[i] = mm == -SDEC_INF ? 0.f : exp2_fast(s[j][i] - mm);
            sum[i >> 1] += p[i];
        }
        split_bf16(p[0], p[1], pa[j / 2][(j & 1) * 2 + 0], pa_lo[j / 2][(j & 1) * 2 + 0]);
        split_bf16(p[2], p[3], pa[j / 2][(j & 1) * 2 + 1], pa_lo[j / 2][(j & 1) * 2 + 1]);
    }
#pragma unroll
    for (int half = 0; half < 2; ++half) st.l[half] = st.l[half] * alpha[half] + sum[half];
    if (alpha[0] != 1.f || alpha[1] != 1.f) {  // 2^0 is exactly 1: neither max moved
#pragma unroll
        for (int j = 0; j < O_TILES; ++j) {
            st.o[j][0] *= alpha[0]; st.o[j][1] *= alpha[0];
            st.o[j][2] *= alpha[1]; st.o[j][3] *= alpha[1];
        }
    }
}

// TMA = 1 (sm_90, head dim 64 or 128): the CTA's last warp is a producer that stages the split
// in units of 32 tokens with TMA tensor copies (boxes of 32 rows x 64 dims of K and of V, under
// the 128-byte swizzle, as attention.cu's tma_produce); the other warps form TOKEN_WARPS groups
// of M_TILES warps, group g taking a contiguous run of the units, each warp of it one m-tile of
// every unit. A unit's slot is freed when all M_TILES warps of its group are done with it, so
// no warp waits at a CTA barrier for another group (the cp.async path's two stages do).
// Fragments come by ldmatrix from the swizzled rows (chunk c of row r at c ^ (r % 8)).
constexpr int HALVES = HEAD_DIM >= 64 ? HEAD_DIM / 64 : 1;  // 64-dim boxes of a row
constexpr int BOX_BYTES = UNIT * 128;
constexpr int UNIT_BYTES = 2 * HALVES * BOX_BYTES;              // K's boxes, then V's
constexpr int DEPTH = TOKEN_WARPS >= 2 ? 2 : 4;                 // slots per group
static_assert(!TMA || TILE == UNIT, "the TMA path stages units of 32 tokens");

struct ChunkRings {
    unsigned long long full[TOKEN_WARPS][DEPTH], empty[TOKEN_WARPS][DEPTH];
};

// Group g's units of the CTA's n: contiguous runs whose lengths differ by one at most.
__device__ __forceinline__ int group_first_unit(int g, int n) { return g * (n / TOKEN_WARPS) + min(g, n % TOKEN_WARPS); }

// The producer (its lane 0): units issued round robin over the groups, so every group's ring
// fills; `row0` is the split's first row in the tensor maps. A box may run past the split or the
// tensor (zeros there); the consumers mask those rows.
__device__ __forceinline__ void chunk_produce(ChunkRings& r, unsigned char* ring, const TensorMap& k_map, const TensorMap& v_map,
                                              int row0, int n_units) {
    if (threadIdx.x % 32 != 0) return;
    const int rounds = (n_units + TOKEN_WARPS - 1) / TOKEN_WARPS;
    for (int p = 0; p < rounds; ++p) {
        const int s = p % DEPTH, round = p / DEPTH;
        for (int g = 0; g < TOKEN_WARPS; ++g) {
            const int first = group_first_unit(g, n_units);
            if (p >= group_first_unit(g + 1, n_units) - first) continue;
            if (round > 0) mbar_wait(&r.empty[g][s], (round - 1) & 1);
            unsigned char* slot = ring + (g * DEPTH + s) * UNIT_BYTES;
            mbar_arrive_expect(&r.full[g][s], UNIT_BYTES);
            const int row = row0 + (first + p) * UNIT;
#pragma unroll
            for (int h = 0; h < HALVES; ++h) {
                tma_load_2d(slot + h * BOX_BYTES, k_map, 64 * h, row, &r.full[g][s]);
                tma_load_2d(slot + (HALVES + h) * BOX_BYTES, v_map, 64 * h, row, &r.full[g][s]);
            }
        }
    }
}

// A consumer warp of group g, m-tile mt: its group's units of [begin, end), from the ring at
// shared address `ring` (1024-byte aligned).
__device__ __forceinline__ void chunk_consume(ChunkRings& r, u32 ring, RowState& st, const u32 (&qa)[K_STEPS][4], int g, int begin, int end,
                                              const int (&row_lim)[2], float qscale, unsigned char* codes_sm, unsigned char* codes,
                                              int head, int row0, int capacity) {
    const int lane = threadIdx.x % 32, tig = lane % 4;
    // This lane's ldmatrix row within 16 tokens and its chunk offset: K (non-transposed, B of
    // QK^T): matrix i = lane / 8 is tokens 8(i / 2).. of chunk 2ks + i % 2; V (transposed, B of
    // PV): tokens 8(i % 2).. of chunk 2jd + i / 2. Row % 8 = lane % 8 (the swizzle's key).
    const int sw = lane % 8, mat = lane / 8;
    const u32 k_row = (u32)(8 * (mat / 2) + sw) * 128, v_row = (u32)(8 * (mat % 2) + sw) * 128;
    const int n_units = (end - begin + UNIT - 1) / UNIT;
    const int first = group_first_unit(g, n_units), count = group_first_unit(g + 1, n_units) - first;
    for (int p = 0; p < count; ++p) {
        const int s = p % DEPTH;
        mbar_wait(&r.full[g][s], (p / DEPTH) & 1);
        const u32 slot = ring + (g * DEPTH + s) * UNIT_BYTES;
        const int t0 = begin + (first + p) * UNIT;
        float sc[S_TILES][4];
#pragma unroll
        for (int jp = 0; jp < S_TILES / 2; ++jp) {
#pragma unroll
            for (int i = 0; i < 4; ++i) sc[2 * jp][i] = sc[2 * jp + 1][i] = 0.f;
#pragma unroll
            for (int ks = 0; ks < K_STEPS; ++ks) {
                const int c = 2 * ks + mat % 2;
                u32 b[4];
                ldmatrix_x4(b, slot + (c / 8) * BOX_BYTES + jp * 16 * 128 + k_row + (((c % 8) ^ sw) << 4));
                mma_bf16(sc[2 * jp], qa[ks], b[0], b[1]);
                mma_bf16(sc[2 * jp + 1], qa[ks], b[2], b[3]);
            }
        }
        u32 pa[S_TILES / 2][4], pa_lo[S_TILES / 2][4];
        softmax_step(sc, st, pa, pa_lo, t0, end, row_lim, qscale, codes_sm, codes, head, row0, capacity);
        // Rows past `end` hold another split's or head's tokens, or nothing written yet: P is 0
        // there, but 0 times a NaN would poison the sums, so their V is taken as 0.
        const int valid = end - t0;
#pragma unroll
        for (int kk = 0; kk < S_TILES / 2; ++kk) {
#pragma unroll
            for (int jd = 0; jd < O_TILES / 2; ++jd) {
                const int c = 2 * jd + mat / 2;
                u32 b[4];
                ldmatrix_x4_trans(b, slot + (HALVES + c / 8) * BOX_BYTES + kk * 16 * 128 + v_row + (((c % 8) ^ sw) << 4));
                if (valid < UNIT) {
#pragma unroll
                    for (int i = 0; i < 4; ++i) {
                        const int t = kk * 16 + (i % 2) * 8 + 2 * tig;  // b[i]: tokens t (low half), t + 1
                        b[i] = (t < valid ? b[i] & 0xffffu : 0u) | (t + 1 < valid ? b[i] & 0xffff0000u : 0u);
                    }
                }
                mma_bf16(st.o[2 * jd], pa[kk], b[0], b[1]);
                mma_bf16(st.o[2 * jd], pa_lo[kk], b[0], b[1]);
                mma_bf16(st.o[2 * jd + 1], pa[kk], b[2], b[3]);
                mma_bf16(st.o[2 * jd + 1], pa_lo[kk], b[2], b[3]);
            }
        }
        __syncwarp();
        if (lane == 0) mbar_arrive(&r.empty[g][s]);
    }
}

extern "C" __global__ void __launch_bounds__(WARPS * 32) chunk_attend(
    const bf16_t* __restrict__ q,        // [batch][QROWS][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,        // [batch][kv_heads][capacity][HEAD_DIM]
    const bf16_t* __restrict__ v,
    float* __restrict__ o_part,          // [batch*kv_heads][splits][TOKEN_WARPS][M_TILES*16][HEAD_DIM]
    float* __restrict__ lse_part,        // [batch*kv_heads][splits][TOKEN_WARPS][M_TILES*16], log2 domain
    int kv_heads, int context, int capacity, int splits, float scale,
    unsigned char* __restrict__ codes,   // WRITE_LOGITS: the logit codes (above), [batch*kv_heads][blocks][CODE_BLOCK]
    // TMA: K and V as 2-D bf16 tensors [batch*kv_heads*capacity][HEAD_DIM], boxes 32 x 64,
    // 128-byte swizzle (runtime/src/launch/tensor_map.rs); the cp.async path does not read them.
    const __grid_constant__ TensorMap k_map, const __grid_constant__ TensorMap v_map) {
    // The cp.async path's two stages (a placeholder on the TMA path, which stages in `ring`).
    constexpr int STAGE_ELEMS = TMA ? 8 : TILE * STRIDE;
    __shared__ __align__(16) bf16_t ks_all[2][STAGE_ELEMS];
    __shared__ __align__(16) bf16_t vs_all[2][STAGE_ELEMS];
    // WRITE_LOGITS: each computing warp's 16 x WARP_TOKENS staging tile of codes.
    __shared__ __align__(16) unsigned char codes_sm[WRITE_LOGITS ? CONSUMERS : 1][WRITE_LOGITS ? 16 * WARP_TOKENS : 16];
    extern __shared__ __align__(16) unsigned char chunk_ring[];  // TMA: TOKEN_WARPS x DEPTH units
    // Launched as a programmatic dependent: q, K and V are the predecessor's. `chunk_combine` may
    // launch at once and wait in place.
    sdec_allow_dependents();
    sdec_wait_for_predecessor();

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int gid = lane / 4, tig = lane % 4;
    const int mt = warp % M_TILES, tw = warp / M_TILES;
    const int head = blockIdx.x / splits, split = blockIdx.x % splits;
    const int b = head / kv_heads, kvh = head % kv_heads;
    const int begin = split * SPLIT_TOKENS, end = min(begin + SPLIT_TOKENS, context);
    const size_t kv_base = (size_t)head * capacity * HEAD_DIM;

    // This lane's two rows of the m-tile, and the last token each may see.
    int row_lim[2];
    u32 qa[K_STEPS][4];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int rho = mt * 16 + gid + half * 8;
        row_lim[half] = rho < ROWS ? context - QROWS + rho / GROUP : -1;
    }
#pragma unroll
    for (int s = 0; s < K_STEPS; ++s) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int rho = mt * 16 + gid + (i & 1) * 8;
            const int dim = s * 16 + 2 * tig + (i >> 1) * 8;
            u32 val = 0;
            if (rho < ROWS && warp < CONSUMERS) {
                const int r = rho / GROUP, g = rho % GROUP;
                val = *reinterpret_cast<const u32*>(q + (((size_t)b * QROWS + r) * kv_heads * GROUP + kvh * GROUP + g) * HEAD_DIM + dim);
            }
            qa[s][i] = val;
        }
    }

    const float qscale = scale * SDEC_LOG2E;
    RowState st;
    st.m[0] = st.m[1] = -SDEC_INF;
    st.l[0] = st.l[1] = 0.f;
#pragma unroll
    for (int j = 0; j < O_TILES; ++j) st.o[j][0] = st.o[j][1] = st.o[j][2] = st.o[j][3] = 0.f;

    if constexpr (TMA) {
        __shared__ ChunkRings rings;
        if (threadIdx.x == 0) {
            for (int g = 0; g < TOKEN_WARPS; ++g)
                for (int s = 0; s < DEPTH; ++s) {
                    mbar_init(&rings.full[g][s], 1);
                    mbar_init(&rings.empty[g][s], M_TILES);
                }
            asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
        }
        __syncthreads();
        // The swizzle repeats every 8 rows of 128 bytes: the units start on 1024-byte boundaries
        // (chunk_ring_bytes leaves the room).
        const u32 ring = (smem_addr(chunk_ring) + 1023u) & ~1023u;
        if (warp == CONSUMERS) {
            chunk_produce(rings, chunk_ring + (ring - smem_addr(chunk_ring)), k_map, v_map, head * capacity + begin, (end - begin + UNIT - 1) / UNIT);
            return;  // no barrier follows: each computing warp writes its own partial
        }
        chunk_consume(rings, ring, st, qa, tw, begin, end, row_lim, qscale, codes_sm[WRITE_LOGITS ? warp : 0], codes, head, mt * 16, capacity);
    } else {
        // Stage `stage` <- tile at t0 (tokens past `end` zero-filled).
        auto load_tile = [&](int stage, int t0) {
            for (int c = threadIdx.x; c < TILE * HEAD_DIM / 8; c += WARPS * 32) {
                const int t = c / (HEAD_DIM / 8), d = (c % (HEAD_DIM / 8)) * 8;
                const bool valid = t0 + t < end;
                const size_t off = kv_base + (size_t)(valid ? t0 + t : begin) * HEAD_DIM + d;
                cp_async16(ks_all[stage] + t * STRIDE + d, k + off, valid);
                cp_async16(vs_all[stage] + t * STRIDE + d, v + off, valid);
            }
            asm volatile("cp.async.commit_group;" ::: "memory");
        };
        if (begin < end) load_tile(0, begin);
        int stage = 0;
        for (int t0 = begin; t0 < end; t0 += TILE, stage ^= 1) {
            if (t0 + TILE < end) {
                load_tile(stage ^ 1, t0 + TILE);
                asm volatile("cp.async.wait_group 1;" ::: "memory");
            } else {
                asm volatile("cp.async.wait_group 0;" ::: "memory");
            }
            __syncthreads();  // this tile has landed for every thread
            const bf16_t* ks = ks_all[stage];
            const bf16_t* vs = vs_all[stage];
            const int w0 = tw * WARP_TOKENS;  // this warp's first token in the tile

            // S = Q K^T for this warp's tokens.
            float s[S_TILES][4];
#pragma unroll
            for (int j = 0; j < S_TILES; ++j) {
                s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
                const bf16_t* krow = ks + (w0 + j * 8 + gid) * STRIDE + 2 * tig;
#pragma unroll
                for (int kst = 0; kst < K_STEPS; ++kst) {
                    const u32 b0 = *reinterpret_cast<const u32*>(krow + kst * 16);
                    const u32 b1 = *reinterpret_cast<const u32*>(krow + kst * 16 + 8);
                    mma_bf16(s[j], qa[kst], b0, b1);
                }
            }
            u32 pa[S_TILES / 2][4], pa_lo[S_TILES / 2][4];
            softmax_step(s, st, pa, pa_lo, t0 + w0, end, row_lim, qscale, codes_sm[WRITE_LOGITS ? warp : 0], codes, head, mt * 16, capacity);

            // O += P V over this warp's tokens.
#pragma unroll
            for (int kk = 0; kk < S_TILES / 2; ++kk) {
                const bf16_t* v0 = vs + (w0 + kk * 16 + 2 * tig) * STRIDE + gid;
#pragma unroll
                for (int j = 0; j < O_TILES; ++j) {
                    const bf16_t* vp = v0 + j * 8;
                    const u32 b0 = (u32)vp[0] | ((u32)vp[STRIDE] << 16);
                    const u32 b1 = (u32)vp[8 * STRIDE] | ((u32)vp[9 * STRIDE] << 16);
                    mma_bf16(st.o[j], pa[kk], b0, b1);
                    mma_bf16(st.o[j], pa_lo[kk], b0, b1);
                }
            }
            __syncthreads();  // every warp is done with this stage before it is loaded again
        }
    }

    // This warp's partial: rows gid and gid+8 of its m-tile.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        st.l[half] += __shfl_xor_sync(0xffffffffu, st.l[half], 1);
        st.l[half] += __shfl_xor_sync(0xffffffffu, st.l[half], 2);
    }
    const size_t part = ((size_t)blockIdx.x * TOKEN_WARPS + tw) * (M_TILES * 16);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int row = mt * 16 + gid + half * 8;
        const float inv = st.l[half] > 0.f ? 1.f / st.l[half] : 0.f;
        float* dst = o_part + (part + row) * HEAD_DIM + 2 * tig;
#pragma unroll
        for (int j = 0; j < O_TILES; ++j)
            *reinterpret_cast<float2*>(dst + j * 8) = make_float2(st.o[j][2 * half] * inv, st.o[j][2 * half + 1] * inv);
        if (tig == 0) lse_part[part + row] = st.l[half] > 0.f ? st.m[half] + log2f(st.l[half]) : -SDEC_INF;
    }
}

// Merges the partials of one (batch, KV head, row) by log-sum-exp; one CTA of HEAD_DIM threads.
// out like q; lse_out [batch][QROWS][kv_heads*GROUP], log2 domain (SpecAttn's selection scores
// need each row's normaliser).
extern "C" __global__ void __launch_bounds__(HEAD_DIM) chunk_combine(
    const float* __restrict__ o_part, const float* __restrict__ lse_part,
    bf16_t* __restrict__ out, float* __restrict__ lse_out, int kv_heads, int splits) {
    sdec_wait_for_predecessor();  // the partials are `chunk_attend`'s
    const int head = blockIdx.x / ROWS, rho = blockIdx.x % ROWS, d = threadIdx.x;
    const int b = head / kv_heads, kvh = head % kv_heads, r = rho / GROUP, g = rho % GROUP;
    const int parts = splits * TOKEN_WARPS;
    const size_t first = (size_t)head * parts * (M_TILES * 16) + rho, stride = M_TILES * 16;
    float lse;
    const float o = merge_partials<HEAD_DIM, HEAD_DIM>(lse_part + first, stride, o_part + first * HEAD_DIM, stride * HEAD_DIM, parts, &lse);
    const size_t row = ((size_t)b * QROWS + r) * kv_heads * GROUP + kvh * GROUP + g;
    out[row * HEAD_DIM + d] = float_to_bf16(o);
    if (d == 0) lse_out[row] = lse;
}
