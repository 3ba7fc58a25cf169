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
// token on CUDA cores; warp_mma_ring, the families' `mma` = 2: tiles of 16 tokens on tensor
// cores, staged in shared memory) and leaves its partial in shared memory; the CTA merges its
// warps. `mma` = 3 (gather family, sm_90) instead has a producer warp stage units of 32 rows by
// TMA for the other warps to take on tensor cores (tma_produce / tma_consume below).

constexpr int LANES_PER_TOKEN = HEAD_DIM / 8;
constexpr int TOKENS_PER_STEP = MMA ? 16 : 32 / LANES_PER_TOKEN;  // tokens per load (MMA: a tile)
constexpr int WARPS = THREADS / 32;
// Consecutive tokens a warp takes per step (MMA: one tile, UNROLL is its ring's depth).
constexpr int WARP_CHUNK = MMA ? TOKENS_PER_STEP : UNROLL * TOKENS_PER_STEP;
// Tokens per warp run: whole score blocks when scoring, else whole warp chunks.
constexpr int RUN_ALIGN = EMIT_SCORES ? SCORE_BLOCK : WARP_CHUNK;
static_assert(!(MMA == 2 && EMIT_SCORES), "the per-warp ring emits no block scores");

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

// The tensor-core path (MMA = 2; any MMA != 0): a warp takes its run in tiles of 16 tokens and computes
// with mma.m16n8k16 S^T = K Q^T (16 tokens x 8 query heads, GROUP of them real) and
// O^T += V^T P^T (16 dims x 8 heads per m-tile), so a token costs a few instructions per warp
// instead of 8 FMAs per head per lane. Lane (gid, tig) keeps, for heads 2tig and 2tig+1, the
// running max (the same in every gid), its share of the sum and O^T's accumulators; S^T's C
// fragment holds tokens gid, gid+8 x heads 2tig, 2tig+1. Its 8x8 halves, transposed in registers
// (movmatrix), are P^T's B fragment: tokens 2tig.. x head gid. P enters the tensor cores as bf16
// hi + lo parts, so the weights keep ~16 bits as in fp32 math. Tiles are staged in a per-warp
// ring of UNROLL slots in shared memory by cp.async (UNROLL - 1 tiles in flight, no registers
// held by them) and fragments taken by ldmatrix. (MMA = 1, fragments loaded from global memory
// straight into registers, was slower on every shape of the H100: decode.md section 14.)
constexpr int MMA_TILE = 16;
constexpr int D_TILES = HEAD_DIM / 16;   // k-steps of K Q^T, m-tiles of V^T P^T

__device__ __forceinline__ u32 transpose8x8_b16(u32 x) {
    u32 y;
    asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(y) : "r"(x));
    return y;
}

struct MmaState {
    float m[2], l[2];
    float o[D_TILES][4];
};

__device__ __forceinline__ void mma_init(MmaState& st) {
    st.m[0] = st.m[1] = -SDEC_INF;
    st.l[0] = st.l[1] = 0.f;
#pragma unroll
    for (int i = 0; i < D_TILES; ++i) st.o[i][0] = st.o[i][1] = st.o[i][2] = st.o[i][3] = 0.f;
}

// A tile's raw S^T in log2 units, tokens that are not valid masked (ok[h]: token gid + 8h).
// (This path emits no block scores: the families keep scoring on CUDA cores, decode.md
// section 14.)
__device__ __forceinline__ void mma_prepare_scores(float (&s)[4], const bool (&ok)[2], float qscale) {
#pragma unroll
    for (int c = 0; c < 4; ++c) s[c] = ok[c / 2] ? s[c] * qscale : -SDEC_INF;
}

// Online softmax over a tile of masked log2 scores (the max reduced over gid): moves the
// running max when the tile passes it by SDEC_RESCALE_SLACK, rescales, and gives the max the
// tile's weights are taken against.
__device__ __forceinline__ void mma_rescale(const float (&s)[4], MmaState& st, float (&m_use)[2]) {
    float alpha[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        float step_max = fmaxf(s[h], s[h + 2]);
#pragma unroll
        for (int off = 4; off < 32; off <<= 1) step_max = fmaxf(step_max, __shfl_xor_sync(0xffffffffu, step_max, off));
        const float m_new = step_max > st.m[h] + SDEC_RESCALE_SLACK ? step_max : st.m[h];
        m_use[h] = m_new == -SDEC_INF ? 0.f : m_new;  // nothing valid yet: every weight is 0
        alpha[h] = exp2_fast(st.m[h] - m_use[h]);
        st.m[h] = m_new;
        st.l[h] *= alpha[h];
    }
    if (alpha[0] != 1.f || alpha[1] != 1.f) {  // 2^0 is exactly 1: the max did not move
#pragma unroll
        for (int i = 0; i < D_TILES; ++i) {
            st.o[i][0] *= alpha[0]; st.o[i][2] *= alpha[0];
            st.o[i][1] *= alpha[1]; st.o[i][3] *= alpha[1];
        }
    }
}

// A tile's weights, added to the sums, as P^T's B fragments: hi and lo parts, [0] tokens 0-7
// of the tile, [1] tokens 8-15.
__device__ __forceinline__ void mma_weights(const float (&s)[4], const float (&m_use)[2], MmaState& st, u32 (&hi)[2], u32 (&lo)[2]) {
    float p[4];
#pragma unroll
    for (int c = 0; c < 4; ++c) {
        p[c] = exp2_fast(s[c] - m_use[c % 2]);
        st.l[c % 2] += p[c];
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        split_bf16(p[2 * h], p[2 * h + 1], hi[h], lo[h]);  // tokens gid + 8h x heads 2tig, 2tig+1
        hi[h] = transpose8x8_b16(hi[h]);
        lo[h] = transpose8x8_b16(lo[h]);
    }
}

// The warp's partial: O^T's rows are disjoint across lanes (m-tile i's rows gid and gid+8 are
// dims 16i + gid and 16i + gid + 8), the sums are reduced over gid.
__device__ __forceinline__ void mma_write(const WarpTask& t, MmaState& st) {
    const int lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
#pragma unroll
        for (int off = 4; off < 32; off <<= 1) st.l[h] += __shfl_xor_sync(0xffffffffu, st.l[h], off);
        const int g = 2 * tig + h;
        if (g < GROUP) {
#pragma unroll
            for (int i = 0; i < D_TILES; ++i) {
                t.acc[g * HEAD_DIM + 16 * i + gid] = st.o[i][h];
                t.acc[g * HEAD_DIM + 16 * i + gid + 8] = st.o[i][h + 2];
            }
            if (gid == 0) { t.m[g] = st.m[h]; t.l[g] = st.l[h]; }
        }
    }
}

// A ring slot holds one tile: its 16 K rows, then its 16 V rows, as stored ([token][dim]),
// each row padded by 16 bytes so that the 8 rows an ldmatrix phase reads fall in distinct banks.
// The K rows are S^T's A fragments as they lie (ldmatrix), the V rows V^T's (ldmatrix.trans),
// so q, the fragments and the output keep the standard dim order. A tile is filled by the
// warp's own lanes, a copy instruction taking whole rows (32 / ROW_PIECES of them), so the ring
// needs only the warp's barrier: cp.async.wait_group, then __syncwarp before reading and before
// a slot is refilled.
constexpr int RING_ROW = HEAD_DIM * 2 + 16;           // bytes of a staged row
constexpr int RING_TILE = 2 * MMA_TILE * RING_ROW;    // bytes of a slot
constexpr int RING_SLOTS = MMA ? UNROLL : 1;
constexpr int ROW_PIECES = HEAD_DIM / 8;              // 16-byte pieces of a row
constexpr int ROWS_PER_COPY = 32 / ROW_PIECES;        // rows one copy instruction of the warp takes

// Stages the tile whose token ids lanes 0-15 hold (`id`, row = lane) in `slot`; `ok_bits` gets
// the warp's ballot of its valid rows (bit r: row r). A token that is not valid reads nothing
// (its row is zero-filled) and is masked.
__device__ __forceinline__ void ring_fill(unsigned char* slot, u32* ok_bits, const WarpTask& t, int id) {
    const int lane = threadIdx.x % 32, piece = lane % ROW_PIECES;
    const u32 bits = __ballot_sync(0xffffffffu, lane < MMA_TILE && id >= 0 && id < t.context);
#pragma unroll
    for (int j = 0; j < MMA_TILE / ROWS_PER_COPY; ++j) {
        const int r = j * ROWS_PER_COPY + lane / ROW_PIECES;
        const int p = __shfl_sync(0xffffffffu, id, r);
        const bool ok = (bits >> r) & 1u;
        const size_t off = t.kv_base + (size_t)(ok ? p : 0) * HEAD_DIM + 8 * piece;
        unsigned char* k_row = slot + r * RING_ROW + 16 * piece;
        cp_async16(k_row, t.k + off, ok);
        cp_async16(k_row + MMA_TILE * RING_ROW, t.v + off, ok);
    }
    if (lane == 0) *ok_bits = bits;
}

// Q^T's B fragments for mma.m16n8k16, in the standard order: head gid (zero past GROUP), dims
// 16ks + 2tig (+1) and 16ks + 8 + 2tig (+1).
__device__ __forceinline__ void load_q_fragments(const WarpTask& t, u32 (&qb)[D_TILES][2]) {
    const int lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
#pragma unroll
    for (int ks = 0; ks < D_TILES; ++ks) {
        const bf16_t* qrow = t.q + ((size_t)t.head * GROUP + gid) * HEAD_DIM + 16 * ks + 2 * tig;
        qb[ks][0] = gid < GROUP ? *reinterpret_cast<const u32*>(qrow) : 0u;
        qb[ks][1] = gid < GROUP ? *reinterpret_cast<const u32*>(qrow + 8) : 0u;
    }
}

__device__ __forceinline__ void warp_mma_ring(const WarpTask& t, unsigned char* ring, u32* ring_ok) {
    const int lane = threadIdx.x % 32, gid = lane / 4;
    const float qscale = t.scale * SDEC_LOG2E;

    u32 qb[D_TILES][2];
    load_q_fragments(t, qb);
    MmaState st;
    mma_init(st);

    // Token ids of the tile at `tile_base` in lanes 0-15 (-1: past the run).
    auto load_id = [&](int tile_base) {
        const int i = tile_base + lane;
        return lane < MMA_TILE && i < t.run_end ? token_at(t.list, i, t.dense) : -1;
    };
    auto fill = [&](int slot, int tile_base, int id) {
        if (tile_base < t.run_end) ring_fill(ring + slot * RING_TILE, ring_ok + slot, t, id);
        asm volatile("cp.async.commit_group;" ::: "memory");  // empty past the run: the count stays
    };
    // The first RING_SLOTS - 1 tiles in flight (their id loads independent), the ids of the
    // next tile to fill and of the one after.
    int ids[RING_SLOTS];
#pragma unroll
    for (int s = 0; s < RING_SLOTS; ++s) ids[s] = load_id(t.run_begin + s * MMA_TILE);
#pragma unroll
    for (int s = 0; s + 1 < RING_SLOTS; ++s) fill(s, t.run_begin + s * MMA_TILE, ids[s]);
    int id_fill = ids[RING_SLOTS - 1];
    int id_next = load_id(t.run_begin + RING_SLOTS * MMA_TILE);

    // This lane's ldmatrix row addresses within a slot: K as A (matrix i: rows 8(i%2).., dims
    // 8(i/2)..), V as A of V^T (matrix i: tokens 8(i/2).., dims 8(i%2)..).
    const u32 ring_base = (u32)__cvta_generic_to_shared(ring);
    const u32 k_lane = ((lane % 8) + 8 * ((lane / 8) % 2)) * RING_ROW + 16 * (lane / 16);
    const u32 v_lane = MMA_TILE * RING_ROW + ((lane % 8) + 8 * (lane / 16)) * RING_ROW + 16 * ((lane / 8) % 2);
    int slot = 0;
    for (int base = t.run_begin; base < t.run_end; base += MMA_TILE) {
        __syncwarp();  // every lane is done with the slot refilled now (read in the last step)
        fill(slot == 0 ? RING_SLOTS - 1 : slot - 1, base + (RING_SLOTS - 1) * MMA_TILE, id_fill);
        id_fill = id_next;
        id_next = load_id(base + (RING_SLOTS + 1) * MMA_TILE);
        asm volatile("cp.async.wait_group %0;" ::"n"(RING_SLOTS - 1) : "memory");
        __syncwarp();  // this tile has landed for every lane

        const u32 tile = ring_base + slot * RING_TILE;
        const u32 ok_bits = ring_ok[slot];
        const bool ok[2] = {((ok_bits >> gid) & 1u) != 0, ((ok_bits >> (gid + 8)) & 1u) != 0};
        float s[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
        for (int ks = 0; ks < D_TILES; ++ks) {
            u32 a[4];
            ldmatrix_x4(a, tile + k_lane + 32 * ks);
            mma_bf16(s, a, qb[ks][0], qb[ks][1]);
        }
        mma_prepare_scores(s, ok, qscale);
        float m_use[2];
        mma_rescale(s, st, m_use);
        u32 hi[2], lo[2];
        mma_weights(s, m_use, st, hi, lo);
#pragma unroll
        for (int i = 0; i < D_TILES; ++i) {
            u32 a[4];
            ldmatrix_x4_trans(a, tile + v_lane + 32 * i);
            mma_bf16(st.o[i], a, hi[0], hi[1]);
            mma_bf16(st.o[i], a, lo[0], lo[1]);
        }
        slot = slot + 1 == RING_SLOTS ? 0 : slot + 1;
    }
    asm volatile("cp.async.wait_group 0;" ::: "memory");  // no copy outlives the warp
    mma_write(t, st);
}

// The TMA path (MMA = 3, head dim 64 or 128, sm_90). The CTA's last warp is a producer: it
// stages the CTA's range in units of 32 rows into a ring of UNROLL slots per consumer warp (the
// others) with TMA tensor copies: boxes of 32 rows x 64 dims of K and of V under the 128-byte
// swizzle (16-byte chunk c of row r lands at chunk c ^ (r % 8)), so the eight rows an ldmatrix
// phase reads fall in distinct banks without padding. A consumer takes a unit as two tiles of
// 16 tokens with warp_mma_ring's fragments and online softmax, and the block scores from S^T's
// fragments. A unit whose valid ids are one run (id = first + row: dense ranges, LycheeDecode's
// sink, window and blocks) is one box per 64 dims; any other is copied by the producer's lanes,
// a row each (cp.async, into the same swizzled layout): correct, but slow on scattered lists.
// Measured first in benches/mixed_micro/attend_tc.cu (docs/results/kernels.md "Session 22").
constexpr int UNIT = 32;                                       // rows of a unit: one box tall
constexpr int HALVES = HEAD_DIM >= 64 ? HEAD_DIM / 64 : 1;     // 64-dim boxes of a row
constexpr int BOX_BYTES = UNIT * 128;
constexpr int UNIT_BYTES = 2 * HALVES * BOX_BYTES;             // K's boxes, then V's
constexpr int CONSUMERS = MMA == 3 && WARPS > 1 ? WARPS - 1 : 1;
constexpr int TMA_SLOTS = MMA == 3 ? UNROLL : 1;
// A list's ids are loaded this many units ahead of their copies (loaded a unit at a time, the
// round trips were a fifth of the layer: session 22, call 3).
constexpr int IDS_AHEAD = 8;

// The rings' barriers: `full` completes when a slot's bytes have landed (the producer's one
// arrival plus the copies' bytes), `empty` when its consumer has released it.
struct TmaRings {
    unsigned long long full[CONSUMERS][TMA_SLOTS], empty[CONSUMERS][TMA_SLOTS];
    u32 valid[CONSUMERS][TMA_SLOTS];  // a slot's valid rows (bit r: row r)
    // Score blocks a warp shares with a neighbour (its first one begun before its range: [0],
    // its last one going on past it: [1]): the block (-1: none) and the warp's max over its part.
    int edge_block[CONSUMERS][2];
    float edge_best[CONSUMERS][2];

    __device__ void init() {  // by one thread, before a barrier
        for (int w = 0; w < CONSUMERS; ++w)
            for (int s = 0; s < TMA_SLOTS; ++s) {
                mbar_init(&full[w][s], 1);
                mbar_init(&empty[w][s], 1);
            }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
};

// Consumer warp w takes a contiguous range of the CTA's n units, the ranges differing in length
// by one at most (whole score blocks round robin left some warps a unit pair more than others:
// LycheeDecode's b2 step was 0.1 ms slower, docs/results/decode.md section 23). Its p-th unit is
// in slot p % TMA_SLOTS; the producer issues them round robin, p by p, so issue k is warp
// k % CONSUMERS's unit k / CONSUMERS.
__device__ __forceinline__ int warp_first_unit(int w, int n) { return w * (n / CONSUMERS) + min(w, n % CONSUMERS); }

// The producer warp: stages the units of [t.begin, end) (positions of a dense head, list
// entries of a sparse one), `kv_row` the head's first row in the tensor maps.
__device__ __forceinline__ void tma_produce(TmaRings& r, unsigned char* ring, const TensorMap& k_map, const TensorMap& v_map,
                                            const WarpTask& t, int end, int kv_row) {
    const int lane = threadIdx.x % 32;
    const int n_units = (end - t.begin + UNIT - 1) / UNIT;
    // Row `lane` of the unit of issue k: its token, or -1 (past the range, padding, at or past
    // the context).
    auto id_of = [&](int k) {
        const int unit = warp_first_unit(k % CONSUMERS, n_units) + k / CONSUMERS;
        const int i = k < n_units ? t.begin + unit * UNIT + lane : end;
        const int id = i < end ? token_at(t.list, i, t.dense) : -1;
        return id < t.context ? id : -1;
    };
    int ids[IDS_AHEAD], next[IDS_AHEAD];
#pragma unroll
    for (int a = 0; a < IDS_AHEAD; ++a) ids[a] = id_of(a);
    for (int j0 = 0; j0 < n_units; j0 += IDS_AHEAD) {
#pragma unroll
        for (int a = 0; a < IDS_AHEAD; ++a) next[a] = id_of(j0 + IDS_AHEAD + a);
#pragma unroll
        for (int a = 0; a < IDS_AHEAD; ++a) {
            const int j = j0 + a;
            if (j >= n_units) break;
            const int id = ids[a];
            const u32 valid = __ballot_sync(0xffffffffu, id >= 0);
            const int first = __reduce_max_sync(0xffffffffu, id >= 0 ? id - lane : -(1 << 30));
            const bool run = __all_sync(0xffffffffu, id < 0 || id == first + lane);
            const int w = j % CONSUMERS, place = j / CONSUMERS, s = place % TMA_SLOTS, round = place / TMA_SLOTS;
            if (round > 0) mbar_wait(&r.empty[w][s], (round - 1) & 1);
            unsigned char* slot = ring + (w * TMA_SLOTS + s) * UNIT_BYTES;
            if (lane == 0) r.valid[w][s] = valid;
            if (valid == 0) {
                if (lane == 0) mbar_arrive(&r.full[w][s]);  // nothing to read: the consumer skips it
            } else if (run) {
                // A box may start before the head or end past it (first is down to -31): rows
                // outside the tensor land as zeros, the others are masked.
                if (lane == 0) {
                    mbar_arrive_expect(&r.full[w][s], UNIT_BYTES);
#pragma unroll
                    for (int h = 0; h < HALVES; ++h) {
                        tma_load_2d(slot + h * BOX_BYTES, k_map, 64 * h, kv_row + first, &r.full[w][s]);
                        tma_load_2d(slot + (HALVES + h) * BOX_BYTES, v_map, 64 * h, kv_row + first, &r.full[w][s]);
                    }
                }
            } else {
                // Row `lane` swizzled as a box would hold it (zeros where not valid). Each lane's
                // tracking arrival adds one to the phase's count and takes it back once its
                // copies land; lane 0's arrival is the one the phase expects.
                const size_t at = t.kv_base + (size_t)(id >= 0 ? id : 0) * HEAD_DIM;
#pragma unroll
                for (int c = 0; c < HEAD_DIM / 8; ++c) {
                    const int to = (c / 8) * BOX_BYTES + lane * 128 + (((c % 8) ^ (lane % 8)) << 4);
                    cp_async16(slot + to, t.k + at + 8 * c, id >= 0);
                    cp_async16(slot + HALVES * BOX_BYTES + to, t.v + at + 8 * c, id >= 0);
                }
                mbar_track_cp_async(&r.full[w][s]);
                __syncwarp();
                if (lane == 0) mbar_arrive(&r.full[w][s]);
            }
            __syncwarp();
        }
#pragma unroll
        for (int a = 0; a < IDS_AHEAD; ++a) ids[a] = next[a];
    }
}

// A consumer warp: its units of the CTA's n_units, in order; the ring of this CTA starts at
// `ring` (shared address, 1024-byte aligned; `ring_ptr` the same as a pointer).
__device__ __forceinline__ void tma_consume(TmaRings& r, u32 ring, unsigned char* ring_ptr, const WarpTask& t, int n_units) {
    const int lane = threadIdx.x % 32, gid = lane / 4, warp = threadIdx.x / 32;
    const float qscale = t.scale * SDEC_LOG2E;
    u32 qb[D_TILES][2];
    load_q_fragments(t, qb);
    MmaState st;
    mma_init(st);
    // This lane's ldmatrix rows within a tile and their 16-byte chunks before the swizzle: K as
    // A (matrix i = lane / 8: rows 8(i % 2).., chunk 2ks + i / 2), V as A of V^T (rows 8(i / 2)..,
    // chunk 2 m-tile + i % 2). A row is 128 bytes of a box, and row % 8 = lane % 8.
    const int sw = lane % 8, mat = lane / 8;
    const u32 k_row = (u32)(8 * (mat % 2) + sw) * 128, k_half = mat / 2;
    const u32 v_row = (u32)(8 * (mat / 2) + sw) * 128, v_half = mat % 2;
    const int first = warp_first_unit(warp, n_units), count = warp_first_unit(warp + 1, n_units) - first;
    // Scoring (a dense item, which starts on a score block): the block being summed and the
    // max so far of its summed scaled logits. A block wholly in this warp's range is written
    // here, one shared with a neighbour left at the edge for tma_score_edges.
    const bool scoring = EMIT_SCORES && t.dense;
    int block = -1;
    float block_best = -SDEC_INF;
    if (lane == 0) r.edge_block[warp][0] = r.edge_block[warp][1] = -1;
    auto finish_block = [&]() {
        const float best = warp_max(block_best);
        const int lo = (block * SCORE_BLOCK - t.begin) / UNIT, hi = ((block + 1) * SCORE_BLOCK - t.begin) / UNIT;
        const bool begun_before = lo < first, goes_on = min(hi, n_units) > first + count;
        if (lane != 0) return;
        if (!begun_before && !goes_on) {
            t.block_scores[(size_t)t.head * t.n_blocks + block] = best / (GROUP * qscale);
        } else {
            const int side = begun_before ? 0 : 1;
            r.edge_block[warp][side] = block;
            r.edge_best[warp][side] = best;
        }
    };
    for (int p = 0; p < count; ++p) {
        const int j = first + p, s = p % TMA_SLOTS;
        mbar_wait(&r.full[warp][s], (p / TMA_SLOTS) & 1);
        if (scoring && (t.begin + j * UNIT) / SCORE_BLOCK != block) {
            if (block >= 0) finish_block();
            block = (t.begin + j * UNIT) / SCORE_BLOCK;
            block_best = -SDEC_INF;
        }
        const u32 slot = ring + (warp * TMA_SLOTS + s) * UNIT_BYTES;
        const u32 valid = r.valid[warp][s];
        if (valid != 0xffffffffu) {
            // A box read the rows that are not valid too: their V must be zero, as a masked
            // weight of 0 times a NaN there would poison the sums. (The writes are the
            // generic proxy's and the slot's next fill the async proxy's: fence them.)
            unsigned char* v_ptr = ring_ptr + (slot - ring) + HALVES * BOX_BYTES;
            for (int c = lane; c < UNIT * HALVES * 8; c += 32) {
                const int row = c / (HALVES * 8), h = (c / 8) % HALVES;
                if (!((valid >> row) & 1u)) *reinterpret_cast<uint4*>(v_ptr + h * BOX_BYTES + row * 128 + (c % 8) * 16) = make_uint4(0, 0, 0, 0);
            }
            asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
            __syncwarp();
        }
#pragma unroll
        for (int tile = 0; tile < UNIT / MMA_TILE; ++tile) {
            const u32 tile_valid = (valid >> (tile * MMA_TILE)) & 0xffffu;
            if (tile_valid == 0) continue;
            const u32 tile_at = slot + tile * MMA_TILE * 128;
            float sc[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
            for (int ks = 0; ks < D_TILES; ++ks) {
                u32 a[4];
                ldmatrix_x4(a, tile_at + (ks / 4) * BOX_BYTES + k_row + ((((2 * ks + k_half) % 8) ^ sw) << 4));
                mma_bf16(sc, a, qb[ks][0], qb[ks][1]);
            }
            const bool ok[2] = {((tile_valid >> gid) & 1u) != 0, ((tile_valid >> (gid + 8)) & 1u) != 0};
            mma_prepare_scores(sc, ok, qscale);
            if (scoring) {
                // Tokens gid and gid + 8 summed over the 8 heads of the n-tile (those past
                // GROUP have q = 0 and add 0).
                float a = sc[0] + sc[1], c = sc[2] + sc[3];
                a += __shfl_xor_sync(0xffffffffu, a, 1);
                c += __shfl_xor_sync(0xffffffffu, c, 1);
                a += __shfl_xor_sync(0xffffffffu, a, 2);
                c += __shfl_xor_sync(0xffffffffu, c, 2);
                block_best = fmaxf(block_best, fmaxf(a, c));
            }
            float m_use[2];
            mma_rescale(sc, st, m_use);
            u32 hi[2], lo[2];
            mma_weights(sc, m_use, st, hi, lo);
#pragma unroll
            for (int i = 0; i < D_TILES; ++i) {
                u32 a[4];
                ldmatrix_x4_trans(a, tile_at + (HALVES + i / 4) * BOX_BYTES + v_row + ((((2 * i + v_half) % 8) ^ sw) << 4));
                mma_bf16(st.o[i], a, hi[0], hi[1]);
                mma_bf16(st.o[i], a, lo[0], lo[1]);
            }
        }
        __syncwarp();
        if (lane == 0) mbar_arrive(&r.empty[warp][s]);
    }
    if (block >= 0) finish_block();
    mma_write(t, st);
}

// After the CTA's barrier: the score blocks that consumer warps share, each written once (by
// the thread of its first edge entry) as the max over its parts. The group mean of the raw
// logits is the sum of the scaled ones over GROUP * qscale.
__device__ __forceinline__ void tma_score_edges(const TmaRings& r, const WarpTask& t) {
    const int e = threadIdx.x;
    if (!(EMIT_SCORES && t.dense) || e >= 2 * CONSUMERS) return;
    const int block = r.edge_block[e / 2][e % 2];
    if (block < 0) return;
    float best = -SDEC_INF;
    for (int f = 0; f < 2 * CONSUMERS; ++f) {
        if (r.edge_block[f / 2][f % 2] != block) continue;
        if (f < e) return;  // an earlier entry writes it
        best = fmaxf(best, r.edge_best[f / 2][f % 2]);
    }
    t.block_scores[(size_t)t.head * t.n_blocks + block] = best / (GROUP * t.scale * SDEC_LOG2E);
}

// A filled gather plan (FILL > 0) puts FILL CTAs on each SM in one wave: their registers must let
// that many fit.
constexpr int MIN_CTAS_PER_SM = FILL > 0 ? FILL : 1;

extern "C" __global__ void __launch_bounds__(THREADS, MIN_CTAS_PER_SM) attend(
    const bf16_t* __restrict__ q,        // [batch][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,        // [batch][kv_heads][capacity][HEAD_DIM]
    const bf16_t* __restrict__ v,        // [batch][kv_heads][capacity][HEAD_DIM]
    float* __restrict__ o_part,          // [work][GROUP][HEAD_DIM]
    float* __restrict__ lse_part,        // [work][GROUP], log2 domain
    float* __restrict__ block_scores,    // [batch*kv_heads][ceil(context/SCORE_BLOCK)]
    const int4* __restrict__ work,       // gather only: {head, begin, end, dense}
    const int* __restrict__ entries,     // gather only: [batch*kv_heads][max_entries]
    int context, int capacity, int max_entries, int splits, float scale,
    // MMA = 3: K and V as 2-D bf16 tensors [batch*kv_heads*capacity][HEAD_DIM], boxes 32 x 64,
    // 128-byte swizzle (runtime/src/launch/tensor_map.rs); other modes do not read them.
    const __grid_constant__ TensorMap k_map, const __grid_constant__ TensorMap v_map) {
    __shared__ float sm_acc[WARPS][GROUP][HEAD_DIM];
    __shared__ float sm_m[WARPS][GROUP];
    __shared__ float sm_l[WARPS][GROUP];
    extern __shared__ __align__(16) unsigned char sm_ring[];  // MMA 2: [WARPS][RING_SLOTS] tiles; 3: units
    __shared__ u32 sm_ring_ok[WARPS][RING_SLOTS];

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
    if constexpr (MMA == 3) {
        __shared__ TmaRings rings;
        if (threadIdx.x == 0) rings.init();
        __syncthreads();
        // The swizzle repeats every 8 rows of 128 bytes: the units start on 1024-byte boundaries
        // (ring_bytes leaves the room).
        const u32 ring = (smem_addr(sm_ring) + 1023u) & ~1023u;
        unsigned char* ring_ptr = sm_ring + (ring - smem_addr(sm_ring));
        if (warp == CONSUMERS) tma_produce(rings, ring_ptr, k_map, v_map, task, end, head * capacity);
        else tma_consume(rings, ring, ring_ptr, task, (end - begin + UNIT - 1) / UNIT);
        __syncthreads();
        tma_score_edges(rings, task);
    } else if constexpr (MMA != 0) {
        warp_mma_ring(task, sm_ring + (size_t)warp * RING_SLOTS * RING_TILE, sm_ring_ok[warp]);
    } else {
        warp_scalar(task);
    }
    __syncthreads();

    // Merge the warps that computed (MMA 3: not the producer) and write this CTA's partial.
    constexpr int MERGED = MMA == 3 ? CONSUMERS : WARPS;
    for (int t = threadIdx.x; t < GROUP * HEAD_DIM; t += THREADS) {
        const int g = t / HEAD_DIM, d = t % HEAD_DIM;
        float m_all = -SDEC_INF;
#pragma unroll
        for (int w = 0; w < MERGED; ++w) m_all = fmaxf(m_all, sm_m[w][g]);
        float l_all = 0.f, o_all = 0.f;
        if (m_all > -SDEC_INF) {
#pragma unroll
            for (int w = 0; w < MERGED; ++w) {
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
    sdec_wait_for_predecessor();  // the partials are `attend`'s
    // The o projection after it (a programmatic dependent on CUDA cores) may launch now and load
    // its first weights while the partials are merged. Not before the wait: launched during
    // `attend`, its resident CTAs slowed the short gathers (decode.md section 24).
    sdec_allow_dependents();
    const int head = blockIdx.x / GROUP, g = blockIdx.x % GROUP, col0 = blockIdx.y * COMBINE_COLS, d = threadIdx.x;
    const int w0 = GATHER_MODE == 0 ? head * splits : work_offsets[head];
    const int w1 = GATHER_MODE == 0 ? w0 + splits : work_offsets[head + 1];
    float lse;
    const float o = merge_partials<HEAD_DIM, COMBINE_COLS>(lse_part + (size_t)w0 * GROUP + g, GROUP,
                                                           o_part + ((size_t)w0 * GROUP + g) * HEAD_DIM + col0,
                                                           (size_t)GROUP * HEAD_DIM, w1 - w0, &lse);
    if (d < COMBINE_COLS) out[((size_t)head * GROUP + g) * HEAD_DIM + col0 + d] = float_to_bf16(o);
}
