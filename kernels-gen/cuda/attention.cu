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

constexpr int LANES_PER_TOKEN = HEAD_DIM / 8;
constexpr int TOKENS_PER_STEP = 32 / LANES_PER_TOKEN;  // tokens a warp loads per instruction
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

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int sub = lane / LANES_PER_TOKEN;           // which token of the step this lane reads
    const int d0 = (lane % LANES_PER_TOKEN) * 8;      // the 8 dims this lane owns

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
    const size_t kv_base = (size_t)head * capacity * HEAD_DIM;
    const int* list = entries + (size_t)head * max_entries;


    // Query fragment, pre-scaled so scores are in log2 units.
    const float qscale = scale * SDEC_LOG2E;
    float qf[GROUP][8];
#pragma unroll
    for (int g = 0; g < GROUP; ++g) {
        const uint4 raw = *reinterpret_cast<const uint4*>(q + ((size_t)head * GROUP + g) * HEAD_DIM + d0);
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

    // This warp's contiguous run of the CTA's range.
    const int per_warp = ((end - begin + WARPS - 1) / WARPS + RUN_ALIGN - 1) / RUN_ALIGN * RUN_ALIGN;
    const int run_begin = min(end, begin + warp * per_warp);
    const int run_end = min(end, run_begin + per_warp);
    const int n_blocks = (context + SCORE_BLOCK - 1) / SCORE_BLOCK;
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
            pos_next[u] = i < run_end ? token_at(list, i, dense) : -1;
        }
    };
    auto load_rows = [&](uint4* kdst, uint4* vdst, bool* okdst) {
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int pos = pos_next[u];
            okdst[u] = pos >= 0 && pos < context;
            const size_t off = kv_base + (size_t)(okdst[u] ? pos : 0) * HEAD_DIM + d0;
            kdst[u] = okdst[u] ? *reinterpret_cast<const uint4*>(k + off) : make_uint4(0, 0, 0, 0);
            vdst[u] = okdst[u] ? *reinterpret_cast<const uint4*>(v + off) : make_uint4(0, 0, 0, 0);
        }
    };
    load_ids(run_begin);
    load_rows(kr, vr, ok);
    load_ids(run_begin + WARP_CHUNK);
    for (int base = run_begin; base < run_end; base += WARP_CHUNK) {
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
        if (EMIT_SCORES && dense) {
            // Raw group-mean logit: undo the softmax scale folded into the query.
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                float sum = 0.f;
#pragma unroll
                for (int g = 0; g < GROUP; ++g) sum += s[u][g];
                if (ok[u]) block_best = fmaxf(block_best, sum / (GROUP * qscale));
            }
            // Last step of a score block (or of the run): reduce and write it.
            if ((base + WARP_CHUNK - begin) % SCORE_BLOCK == 0 || base + WARP_CHUNK >= run_end) {
                const float best = warp_max(block_best);
                if (lane == 0) block_scores[(size_t)head * n_blocks + base / SCORE_BLOCK] = best;
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
            const float m_new = fmaxf(m[g], step_max);
            if (m_new == -SDEC_INF) continue;  // nothing valid seen yet
            const float alpha = exp2f(m[g] - m_new);
            l[g] *= alpha;
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[g][j] *= alpha;
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const float p = exp2f(s[u][g] - m_new);
                l[g] += p;
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[g][j] = fmaf(p, vf[u][j], acc[g][j]);
            }
            m[g] = m_new;
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
            for (int j = 0; j < 8; ++j) sm_acc[warp][g][d0 + j] = acc[g][j];
            if (lane == 0) { sm_m[warp][g] = m[g]; sm_l[warp][g] = l[g]; }
        }
    }
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
    const int head = blockIdx.x / GROUP, g = blockIdx.x % GROUP, col0 = blockIdx.y * COMBINE_COLS, d = threadIdx.x;
    const int w0 = GATHER_MODE == 0 ? head * splits : work_offsets[head];
    const int w1 = GATHER_MODE == 0 ? w0 + splits : work_offsets[head + 1];
    float lse;
    const float o = merge_partials<HEAD_DIM, COMBINE_COLS>(lse_part + (size_t)w0 * GROUP + g, GROUP,
                                                           o_part + ((size_t)w0 * GROUP + g) * HEAD_DIM + col0,
                                                           (size_t)GROUP * HEAD_DIM, w1 - w0, &lse);
    if (d < COMBINE_COLS) out[((size_t)head * GROUP + g) * HEAD_DIM + col0 + d] = float_to_bf16(o);
}
