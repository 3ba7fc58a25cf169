// Split-KV decode attention (flash-decoding) over bf16 K/V with fp32 accumulation, GQA.
//
// One CTA reads one range of tokens of one (batch, KV head) and serves all GROUP query heads of
// that KV head, so K and V are read once. Each token is read by LANES_PER_TOKEN lanes with 16-byte
// loads; UNROLL tokens per lane are in flight before the first use. The CTA writes, per query
// head, its normalised partial output and log2-sum-exp; `combine` merges the partials.
//
// GATHER_MODE == 0 (decode_attention): CTA c covers tokens [s*SPLIT_TOKENS, ...) of head c/splits.
//   With EMIT_SCORES it also writes, per block of SCORE_BLOCK tokens, max over the block of
//   (group-mean query . k) — LycheeDecode's block score — from the dot products it computes anyway.
//   Each warp takes a contiguous run of whole score blocks, so it owns every block it scores: a
//   lane keeps a running max and the warp reduces it once per block, with no shared atomics.
// GATHER_MODE == 1 (gather_attention): CTA c takes work[c] = {head, begin, end, dense}; a dense
//   head reads tokens [begin, end), a sparse head reads entries[head][begin..end) expanded by
//   GATHER_BLOCK (1: token ids; B: block ids, token = id*B + i%B). Negative ids and tokens at or
//   past `context` are skipped. Dense and sparse heads share one launch, split so that every CTA
//   has about SPLIT_TOKENS tokens. With EMIT_SCORES, dense heads (LycheeDecode's retrieval heads)
//   also write their block scores, as in mode 0; sparse heads write none.
//
// Each warp takes a contiguous run of its CTA's range (warp_scalar: LANES_PER_TOKEN lanes per
// token on CUDA cores; warp_mma, the families' `mma` option: tiles of 16 tokens on tensor
// cores) and leaves its partial in shared memory; the CTA merges its warps.

constexpr int LANES_PER_TOKEN = HEAD_DIM / 8;
constexpr int TOKENS_PER_STEP = MMA ? 16 : 32 / LANES_PER_TOKEN;  // tokens per load (MMA: a tile)
constexpr int WARPS = THREADS / 32;
constexpr int WARP_CHUNK = UNROLL * TOKENS_PER_STEP;  // consecutive tokens a warp takes per step
// Tokens per warp run: whole score blocks when scoring, else whole warp chunks.
constexpr int RUN_ALIGN = EMIT_SCORES ? SCORE_BLOCK : WARP_CHUNK;

__device__ __forceinline__ int token_at(const int* __restrict__ list, int i, bool dense) {
    if (GATHER_MODE == 0 || dense) return i;
    if (GATHER_BLOCK == 1) return list[i];
    const int block = list[i / GATHER_BLOCK];
    return block < 0 ? -1 : block * GATHER_BLOCK + i % GATHER_BLOCK;
}

// What one warp reads (its run [run_begin, run_end) of the CTA's range) and where it leaves its
// partial: the unnormalised output per query head, its running max and sum (log2 units).
struct WarpTask {
    const bf16_t* __restrict__ q;
    const bf16_t* __restrict__ k;
    const bf16_t* __restrict__ v;
    float* __restrict__ block_scores;
    const int* __restrict__ list;
    size_t kv_base;
    int head, begin, run_begin, run_end, context, n_blocks;
    bool dense;
    float scale;
    float* acc;  // [GROUP][HEAD_DIM]
    float* m;    // [GROUP]
    float* l;    // [GROUP]
};

// The CUDA-core path: LANES_PER_TOKEN lanes per token, each with 8 dims of every query head.
__device__ __forceinline__ void warp_scalar(const WarpTask& t) {
    const int lane = threadIdx.x % 32;
    const int sub = lane / LANES_PER_TOKEN;           // which token of the step this lane reads
    const int d0 = (lane % LANES_PER_TOKEN) * 8;      // the 8 dims this lane owns

    // Query fragment, pre-scaled so scores are in log2 units.
    const float qscale = t.scale * SDEC_LOG2E;
    float qf[GROUP][8];
#pragma unroll
    for (int g = 0; g < GROUP; ++g) {
        const uint4 raw = *reinterpret_cast<const uint4*>(t.q + ((size_t)t.head * GROUP + g) * HEAD_DIM + d0);
        unpack8(raw, qf[g]);
#pragma unroll
        for (int j = 0; j < 8; ++j) qf[g][j] *= qscale;
    }

    float m[GROUP], l[GROUP], acc[GROUP][8];
#pragma unroll
    for (int g = 0; g < GROUP; ++g) {
        m[g] = -SDEC_INF; l[g] = 0.f;
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[g][j] = 0.f;
    }

    float block_best = -SDEC_INF;  // this lane's max over the current score block

    // Software pipeline over the warp's steps: while a step computes on its K and V rows, the
    // next step's rows are already in flight, and the ids of the step after that (a gather
    // list's) too. A short sparse list is latency-bound; this keeps two steps of loads in flight
    // instead of waiting for one round trip (or two: ids, then rows) per step.
    int pos_next[UNROLL];
    uint4 kr[UNROLL], vr[UNROLL];
    bool ok[UNROLL];
    auto load_ids = [&](int step_base) {
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int i = step_base + u * TOKENS_PER_STEP + sub;
            pos_next[u] = i < t.run_end ? token_at(t.list, i, t.dense) : -1;
        }
    };
    auto load_rows = [&](uint4* kdst, uint4* vdst, bool* okdst) {
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int pos = pos_next[u];
            okdst[u] = pos >= 0 && pos < t.context;
            const size_t off = t.kv_base + (size_t)(okdst[u] ? pos : 0) * HEAD_DIM + d0;
            kdst[u] = okdst[u] ? *reinterpret_cast<const uint4*>(t.k + off) : make_uint4(0, 0, 0, 0);
            vdst[u] = okdst[u] ? *reinterpret_cast<const uint4*>(t.v + off) : make_uint4(0, 0, 0, 0);
        }
    };
    load_ids(t.run_begin);
    load_rows(kr, vr, ok);
    load_ids(t.run_begin + WARP_CHUNK);
    for (int base = t.run_begin; base < t.run_end; base += WARP_CHUNK) {
        uint4 kr_next[UNROLL], vr_next[UNROLL];
        bool ok_next[UNROLL];
        load_rows(kr_next, vr_next, ok_next);  // positions past run_end come back as not ok
        load_ids(base + 2 * WARP_CHUNK);
        float s[UNROLL][GROUP];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            float kf[8];
            unpack8(kr[u], kf);
#pragma unroll
            for (int g = 0; g < GROUP; ++g) {
                float dot = 0.f;
#pragma unroll
                for (int j = 0; j < 8; ++j) dot = fmaf(qf[g][j], kf[j], dot);
#pragma unroll
                for (int o = LANES_PER_TOKEN / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                s[u][g] = ok[u] ? dot : -SDEC_INF;
            }
        }
        if (EMIT_SCORES && t.dense) {
            // The block's max of the summed scaled logits; the group mean of the raw logits is
            // that divided by GROUP * qscale (> 0), once per block.
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                float sum = 0.f;
#pragma unroll
                for (int g = 0; g < GROUP; ++g) sum += s[u][g];
                if (ok[u]) block_best = fmaxf(block_best, sum);
            }
            // Last step of a score block (or of the run): reduce and write it.
            if ((base + WARP_CHUNK - t.begin) % SCORE_BLOCK == 0 || base + WARP_CHUNK >= t.run_end) {
                const float best = warp_max(block_best);
                if (lane == 0) t.block_scores[(size_t)t.head * t.n_blocks + base / SCORE_BLOCK] = best / (GROUP * qscale);
                block_best = -SDEC_INF;
            }
        }
        float vf[UNROLL][8];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) unpack8(vr[u], vf[u]);
#pragma unroll
        for (int g = 0; g < GROUP; ++g) {
            float step_max = s[0][g];
#pragma unroll
            for (int u = 1; u < UNROLL; ++u) step_max = fmaxf(step_max, s[u][g]);
            // The first valid token, or a new max far above. Decided for the whole warp, so the
            // branch does not split the warp's tokens (lanes whose max stays scale by 1): per-head
            // divergent branches were 8% of the loop's instructions (decode.md section 13).
            const bool moves = step_max > m[g] + SDEC_RESCALE_SLACK;
            if (__any_sync(0xffffffffu, moves)) {
                const float alpha = moves ? exp2_fast(m[g] - step_max) : 1.f;
                l[g] *= alpha;
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[g][j] *= alpha;
                m[g] = moves ? step_max : m[g];
            }
            // Nothing valid seen yet (m = -inf): every score is -inf too and its weight 2^-inf = 0.
            const float m_use = m[g] == -SDEC_INF ? 0.f : m[g];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const float p = exp2_fast(s[u][g] - m_use);
                l[g] += p;
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[g][j] = fmaf(p, vf[u][j], acc[g][j]);
            }
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            kr[u] = kr_next[u];
            vr[u] = vr_next[u];
            ok[u] = ok_next[u];
        }
    }

    // Merge the lanes that own the same dims (different tokens of a step).
#pragma unroll
    for (int o = LANES_PER_TOKEN; o < 32; o <<= 1) {
#pragma unroll
        for (int g = 0; g < GROUP; ++g) {
            const float m_o = __shfl_xor_sync(0xffffffffu, m[g], o);
            const float l_o = __shfl_xor_sync(0xffffffffu, l[g], o);
            const float m_n = fmaxf(m[g], m_o);
            const float a = m[g] == -SDEC_INF ? 0.f : exp2f(m[g] - m_n);
            const float b = m_o == -SDEC_INF ? 0.f : exp2f(m_o - m_n);
            l[g] = l[g] * a + l_o * b;
#pragma unroll
            for (int j = 0; j < 8; ++j) {
                const float acc_o = __shfl_xor_sync(0xffffffffu, acc[g][j], o);
                acc[g][j] = acc[g][j] * a + acc_o * b;
            }
            m[g] = m_n;
        }
    }
    if (lane < LANES_PER_TOKEN) {
#pragma unroll
        for (int g = 0; g < GROUP; ++g) {
#pragma unroll
            for (int j = 0; j < 8; ++j) t.acc[g * HEAD_DIM + d0 + j] = acc[g][j];
            if (lane == 0) { t.m[g] = m[g]; t.l[g] = l[g]; }
        }
    }
}

// The tensor-core path (MMA): a warp takes its run in tiles of 16 tokens, UNROLL tiles a step,
// and computes with mma.m16n8k16 S^T = K Q^T (16 tokens x 8 query heads, GROUP of them real) and
// O^T += V^T P^T (16 dims x 8 heads per m-tile), so a token costs a few instructions per warp
// instead of 8 FMAs per head per lane. Fragments come straight from global memory: a dot product
// does not care in which order it meets the dims, so each lane loads whole 16-byte pieces and the
// query (and the output) use the same order. Lane (gid, tig) holds:
//   K: dims [32j + 8 tig, +8) (j < HEAD_DIM/32) of tile tokens gid and gid + 8 — its word w is
//      dims 32(w/4) + 8 tig + 2(w%4), +1; k-step s takes words 2s and 2s+1 (A fragment of K,
//      B fragment of Q^T alike);
//   V: dims [64h + 8 gid, +8) (h < HEAD_DIM/64) of tokens 2tig, 2tig+1, 2tig+8, 2tig+9 — its
//      word i holds the dims of rows gid and gid + 8 of m-tile i; two tokens' words are paired
//      into V^T's A fragment with byte permutes;
//   S^T (C fragment): tokens gid, gid+8 x heads 2tig, 2tig+1. Its 8x8 halves, transposed in
//      registers (movmatrix), are P^T's B fragment: tokens 2tig.. x head gid.
// P enters the tensor cores as bf16 hi + lo parts, so the weights keep ~16 bits as in fp32 math.
constexpr int MMA_TILE = 16;
constexpr int K_WORDS = HEAD_DIM / 8;    // u32 (bf16 pairs) of K per lane and token row
constexpr int V_WORDS = HEAD_DIM / 16;   // u32 of V per lane and token
constexpr int D_TILES = HEAD_DIM / 16;   // k-steps of K Q^T, m-tiles of V^T P^T

struct MmaRows {
    u32 k[2][K_WORDS];
    u32 v[4][V_WORDS];
    bool ok[2];  // K rows gid, gid + 8 hold a valid token
};

__device__ __forceinline__ u32 transpose8x8_b16(u32 x) {
    u32 y;
    asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(y) : "r"(x));
    return y;
}

// Loads the K and V pieces this lane needs for one tile; token j of the tile has position
// __shfl(pos, lane0 + j) (negative or past the context: not valid, zeros loaded).
__device__ __forceinline__ void mma_load(MmaRows& r, const WarpTask& t, int pos, int lane0) {
    const int lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int p = __shfl_sync(0xffffffffu, pos, lane0 + gid + 8 * h);
        r.ok[h] = p >= 0 && p < t.context;
        const bf16_t* row = t.k + t.kv_base + (size_t)(r.ok[h] ? p : 0) * HEAD_DIM + 8 * tig;
#pragma unroll
        for (int j = 0; j < HEAD_DIM / 32; ++j) {
            const uint4 x = r.ok[h] ? *reinterpret_cast<const uint4*>(row + 32 * j) : make_uint4(0, 0, 0, 0);
            r.k[h][4 * j] = x.x; r.k[h][4 * j + 1] = x.y; r.k[h][4 * j + 2] = x.z; r.k[h][4 * j + 3] = x.w;
        }
    }
#pragma unroll
    for (int c = 0; c < 4; ++c) {
        const int p = __shfl_sync(0xffffffffu, pos, lane0 + 2 * tig + (c & 1) + 8 * (c >> 1));
        const bool ok = p >= 0 && p < t.context;
        const bf16_t* row = t.v + t.kv_base + (size_t)(ok ? p : 0) * HEAD_DIM + 8 * gid;
#pragma unroll
        for (int h = 0; h < HEAD_DIM / 64; ++h) {
            const uint4 x = ok ? *reinterpret_cast<const uint4*>(row + 64 * h) : make_uint4(0, 0, 0, 0);
            r.v[c][4 * h] = x.x; r.v[c][4 * h + 1] = x.y; r.v[c][4 * h + 2] = x.z; r.v[c][4 * h + 3] = x.w;
        }
    }
}

__device__ __forceinline__ void warp_mma(const WarpTask& t) {
    const int lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
    const float qscale = t.scale * SDEC_LOG2E;

    // Q^T's B fragment: query head gid (zero past GROUP), the K word order.
    u32 qb[K_WORDS];
#pragma unroll
    for (int j = 0; j < HEAD_DIM / 32; ++j) {
        const uint4 x = gid < GROUP ? *reinterpret_cast<const uint4*>(t.q + ((size_t)t.head * GROUP + gid) * HEAD_DIM + 32 * j + 8 * tig)
                                    : make_uint4(0, 0, 0, 0);
        qb[4 * j] = x.x; qb[4 * j + 1] = x.y; qb[4 * j + 2] = x.z; qb[4 * j + 3] = x.w;
    }

    // Heads 2tig and 2tig+1: running max (the same in every gid), this lane's share of the sum,
    // and O^T's accumulators (dims of m-tile i: rows gid, gid + 8; heads 2tig, 2tig+1).
    float m[2] = {-SDEC_INF, -SDEC_INF}, l[2] = {0.f, 0.f};
    float o[D_TILES][4];
#pragma unroll
    for (int i = 0; i < D_TILES; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
    float block_best = -SDEC_INF;

    // Pipeline as in warp_scalar: the next step's rows in flight while this one computes, and
    // the ids of the step after. Lane j < WARP_CHUNK resolves token j of a step.
    auto load_id = [&](int step_base) {
        const int i = step_base + lane;
        return lane < WARP_CHUNK && i < t.run_end ? token_at(t.list, i, t.dense) : -1;
    };
    MmaRows cur[UNROLL];
    int pos = load_id(t.run_begin);
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) mma_load(cur[u], t, pos, u * MMA_TILE);
    pos = load_id(t.run_begin + WARP_CHUNK);
    for (int base = t.run_begin; base < t.run_end; base += WARP_CHUNK) {
        MmaRows next[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) mma_load(next[u], t, pos, u * MMA_TILE);
        pos = load_id(base + 2 * WARP_CHUNK);

        float s[UNROLL][4];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            s[u][0] = s[u][1] = s[u][2] = s[u][3] = 0.f;
#pragma unroll
            for (int st = 0; st < D_TILES; ++st) {
                const u32 a[4] = {cur[u].k[0][2 * st], cur[u].k[1][2 * st], cur[u].k[0][2 * st + 1], cur[u].k[1][2 * st + 1]};
                mma_bf16(s[u], a, qb[2 * st], qb[2 * st + 1]);
            }
            if (EMIT_SCORES && t.dense) {
                // Raw logits of tokens gid and gid+8 summed over the real heads (over tig); the
                // block's max of them, divided by GROUP once per block, is its group mean.
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    float sum = (2 * tig < GROUP ? s[u][2 * h] : 0.f) + (2 * tig + 1 < GROUP ? s[u][2 * h + 1] : 0.f);
                    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
                    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
                    if (cur[u].ok[h]) block_best = fmaxf(block_best, sum);
                }
            }
#pragma unroll
            for (int c = 0; c < 4; ++c) s[u][c] = cur[u].ok[c / 2] ? s[u][c] * qscale : -SDEC_INF;
        }
        if (EMIT_SCORES && t.dense) {
            if ((base + WARP_CHUNK - t.begin) % SCORE_BLOCK == 0 || base + WARP_CHUNK >= t.run_end) {
                const float best = warp_max(block_best);
                if (lane == 0) t.block_scores[(size_t)t.head * t.n_blocks + base / SCORE_BLOCK] = best / GROUP;
                block_best = -SDEC_INF;
            }
        }

        // Online softmax per head over the step's tokens (the max is reduced over gid).
        float alpha[2], m_use[2];
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            float step_max = -SDEC_INF;
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) step_max = fmaxf(step_max, fmaxf(s[u][h], s[u][h + 2]));
#pragma unroll
            for (int off = 4; off < 32; off <<= 1) step_max = fmaxf(step_max, __shfl_xor_sync(0xffffffffu, step_max, off));
            // As in warp_scalar, the max moves only past SDEC_RESCALE_SLACK (step_max, and so m, is
            // the same in every lane of a tig).
            const float m_new = step_max > m[h] + SDEC_RESCALE_SLACK ? step_max : m[h];
            m_use[h] = m_new == -SDEC_INF ? 0.f : m_new;  // nothing valid yet: every weight is 0
            alpha[h] = exp2_fast(m[h] - m_use[h]);
            m[h] = m_new;
            l[h] *= alpha[h];
        }
        if (alpha[0] != 1.f || alpha[1] != 1.f) {  // 2^0 is exactly 1: the max did not move
#pragma unroll
            for (int i = 0; i < D_TILES; ++i) {
                o[i][0] *= alpha[0]; o[i][2] *= alpha[0];
                o[i][1] *= alpha[1]; o[i][3] *= alpha[1];
            }
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            float p[4];
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                p[c] = exp2_fast(s[u][c] - m_use[c % 2]);
                l[c % 2] += p[c];
            }
            // P^T's B fragment (tokens 2tig.. x head gid) from S^T's C halves, hi and lo parts.
            u32 hi0, lo0, hi1, lo1;
            split_bf16(p[0], p[1], hi0, lo0);  // tokens gid    x heads 2tig, 2tig+1
            split_bf16(p[2], p[3], hi1, lo1);  // tokens gid+8
            hi0 = transpose8x8_b16(hi0); lo0 = transpose8x8_b16(lo0);
            hi1 = transpose8x8_b16(hi1); lo1 = transpose8x8_b16(lo1);
#pragma unroll
            for (int i = 0; i < D_TILES; ++i) {
                const u32* v0 = cur[u].v[0]; const u32* v1 = cur[u].v[1];
                const u32* v2 = cur[u].v[2]; const u32* v3 = cur[u].v[3];
                const u32 a[4] = {__byte_perm(v0[i], v1[i], 0x5410), __byte_perm(v0[i], v1[i], 0x7632),
                                  __byte_perm(v2[i], v3[i], 0x5410), __byte_perm(v2[i], v3[i], 0x7632)};
                mma_bf16(o[i], a, hi0, hi1);
                mma_bf16(o[i], a, lo0, lo1);
            }
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) cur[u] = next[u];
    }

    // The lanes of one tig hold parts of the same heads' sums; the output rows are disjoint.
#pragma unroll
    for (int h = 0; h < 2; ++h) {
#pragma unroll
        for (int off = 4; off < 32; off <<= 1) l[h] += __shfl_xor_sync(0xffffffffu, l[h], off);
        const int g = 2 * tig + h;
        if (g < GROUP) {
#pragma unroll
            for (int i = 0; i < D_TILES; ++i) {
                const int d = 64 * (i / 4) + 8 * gid + 2 * (i % 4);
                t.acc[g * HEAD_DIM + d] = o[i][h];
                t.acc[g * HEAD_DIM + d + 1] = o[i][h + 2];
            }
            if (gid == 0) { t.m[g] = m[h]; t.l[g] = l[h]; }
        }
    }
}

extern "C" __global__ void __launch_bounds__(THREADS) attend(
    const bf16_t* __restrict__ q,        // [batch][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,        // [batch][kv_heads][capacity][HEAD_DIM]
    const bf16_t* __restrict__ v,        // [batch][kv_heads][capacity][HEAD_DIM]
    float* __restrict__ o_part,          // [work][GROUP][HEAD_DIM]
    float* __restrict__ lse_part,        // [work][GROUP], log2 domain
    float* __restrict__ block_scores,    // [batch*kv_heads][ceil(context/SCORE_BLOCK)]
    const int4* __restrict__ work,       // gather only: {head, begin, end, dense}
    const int* __restrict__ entries,     // gather only: [batch*kv_heads][max_entries]
    int context, int capacity, int max_entries, int splits, float scale) {
    __shared__ float sm_acc[WARPS][GROUP][HEAD_DIM];
    __shared__ float sm_m[WARPS][GROUP];
    __shared__ float sm_l[WARPS][GROUP];

    // Launched as a programmatic dependent: q, K, V are the predecessor's. `combine` may launch
    // at once and wait in place, so its start does not follow this grid's drain.
    sdec_allow_dependents();
    sdec_wait_for_predecessor();
    const int warp = threadIdx.x / 32;
    int head, begin, end;
    bool dense = true;
    if (GATHER_MODE == 0) {
        head = blockIdx.x / splits;
        begin = (blockIdx.x % splits) * SPLIT_TOKENS;
        end = min(begin + SPLIT_TOKENS, context);
    } else {
        const int4 w = work[blockIdx.x];
        head = w.x; begin = w.y; end = w.z; dense = w.w != 0;
        // Dense items are planned for a rounded-up context (the plan then holds for many steps).
        if (dense) end = max(begin, min(end, context));
    }
    // This warp's contiguous run of the CTA's range.
    const int per_warp = ((end - begin + WARPS - 1) / WARPS + RUN_ALIGN - 1) / RUN_ALIGN * RUN_ALIGN;
    const int run_begin = min(end, begin + warp * per_warp);
    const WarpTask task{q, k, v, block_scores, entries + (size_t)head * max_entries,
                        (size_t)head * capacity * HEAD_DIM, head, begin, run_begin, min(end, run_begin + per_warp),
                        context, (context + SCORE_BLOCK - 1) / SCORE_BLOCK, dense, scale,
                        &sm_acc[warp][0][0], sm_m[warp], sm_l[warp]};
    if constexpr (MMA) warp_mma(task);
    else warp_scalar(task);
    __syncthreads();

    // Merge the warps and write this CTA's partial.
    for (int t = threadIdx.x; t < GROUP * HEAD_DIM; t += THREADS) {
        const int g = t / HEAD_DIM, d = t % HEAD_DIM;
        float m_all = -SDEC_INF;
#pragma unroll
        for (int w = 0; w < WARPS; ++w) m_all = fmaxf(m_all, sm_m[w][g]);
        float l_all = 0.f, o_all = 0.f;
        if (m_all > -SDEC_INF) {
#pragma unroll
            for (int w = 0; w < WARPS; ++w) {
                const float f = exp2f(sm_m[w][g] - m_all);
                l_all += sm_l[w][g] * f;
                o_all += sm_acc[w][g][d] * f;
            }
        }
        o_part[((size_t)blockIdx.x * GROUP + g) * HEAD_DIM + d] = l_all > 0.f ? o_all / l_all : 0.f;
        if (d == 0) lse_part[(size_t)blockIdx.x * GROUP + g] = l_all > 0.f ? m_all + log2f(l_all) : -SDEC_INF;
    }

}

// Merge the partials of one (batch, query head) by log-sum-exp: a CTA of HEAD_DIM threads per
// (query head, COMBINE_COLS columns of it), blockIdx.y the column range.
// Dense: the partials of head h are [h*splits, (h+1)*splits). Gather: [offsets[h], offsets[h+1]).
constexpr int COMBINE_COLS = HEAD_DIM < 32 ? HEAD_DIM : 32;
extern "C" __global__ void __launch_bounds__(HEAD_DIM) combine(
    const float* __restrict__ o_part, const float* __restrict__ lse_part,
    const int* __restrict__ work_offsets, bf16_t* __restrict__ out, int splits) {
    sdec_allow_dependents();  // the o projection may start streaming its weights
    sdec_wait_for_predecessor();  // the partials are `attend`'s
    const int head = blockIdx.x / GROUP, g = blockIdx.x % GROUP, col0 = blockIdx.y * COMBINE_COLS, d = threadIdx.x;
    const int w0 = GATHER_MODE == 0 ? head * splits : work_offsets[head];
    const int w1 = GATHER_MODE == 0 ? w0 + splits : work_offsets[head + 1];
    float lse;
    const float o = merge_partials<HEAD_DIM, COMBINE_COLS>(lse_part + (size_t)w0 * GROUP + g, GROUP,
                                                           o_part + ((size_t)w0 * GROUP + g) * HEAD_DIM + col0,
                                                           (size_t)GROUP * HEAD_DIM, w1 - w0, &lse);
    if (d < COMBINE_COLS) out[((size_t)head * GROUP + g) * HEAD_DIM + col0 + d] = float_to_bf16(o);
}
