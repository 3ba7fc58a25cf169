// SpecAttn (Vegas) self-speculative decoding: the draft selection after a verify pass (see
// sdec-model's generate.rs `spec_scores` and policies/specattn.rs for the semantics).
//
// spec_score: per layer, the selection score of token t of sequence b is the mean over all query
//   heads and the used verify rows {0, j} ({0} when j == 0) of the row's softmax probability
//   p_{r,h}(t) = exp2(scale*log2(e)*q_{r,h}.k_t - lse2_{r,h}) for t <= base + r, else 0.
//   Grid (row tiles of TOKENS tokens, batch). A CTA reads each K row of its tile once per KV
//   head, with HEAD_DIM/8 lanes per token and 16-byte loads (as attention.cu); each lane keeps its
//   8 dims of the used rows' GROUP queries, pre-scaled, in registers. A lane group owns its tokens
//   across all KV heads, so every score is summed in registers and written once.
// spec_tokens: the top-k picks of one or more layers' scores into the draft steps' token lists.

constexpr int LANES = HEAD_DIM / 8;       // lanes per token, 8 dims each
constexpr int SLOTS = THREADS / LANES;    // tokens the CTA reads per step
constexpr int PER = TOKENS / SLOTS;       // tokens per lane group (per KV head)
constexpr int UNROLL = PER < 4 ? PER : 4; // K loads in flight per lane
constexpr int N_HEADS = KV_HEADS * GROUP;
static_assert(PER * SLOTS == TOKENS, "a tile is whole steps");

__host__ __device__ constexpr int pow2_at_least(int n) { return n <= 1 ? 1 : 2 * pow2_at_least((n + 1) / 2); }

// Sums each of the LEN values of v over a token's lanes (lane bits O, O/2, ..., 1) while halving
// what each lane holds: at bit O the lane with the bit set keeps the upper half and sends the
// lower one. About LEN shuffles in all, not LEN*log2(LANES) (the shuffles, not the FMAs, would
// otherwise bound the kernel). Once a single value is left, the remaining bits add it in both
// lanes; `owner` (see spec_score) then counts it once.
template <int P, int LEN, int O>
__device__ __forceinline__ void reduce_scatter(float (&v)[P], int lane) {
    if constexpr (O > 0) {
        const bool upper = lane & O;
        if constexpr (LEN >= 2) {
            constexpr int H = LEN / 2;
#pragma unroll
            for (int i = 0; i < H; ++i) {
                const float send = upper ? v[i] : v[i + H];
                const float keep = upper ? v[i + H] : v[i];
                v[i] = keep + __shfl_xor_sync(0xffffffffu, send, O);
            }
            reduce_scatter<P, H, O / 2>(v, lane);
        } else {
            v[0] += __shfl_xor_sync(0xffffffffu, v[0], O);
            reduce_scatter<P, 1, O / 2>(v, lane);
        }
    }
}

// The tile [t0, t0 + TOKENS) of sequence b over NR used rows (row 0, then row j), end = the
// tokens it may read (min(seqlen, capacity, row_stride)).
template <int NR>
__device__ __forceinline__ void score_tile(
    const bf16_t* __restrict__ q, const float* __restrict__ lse2, const bf16_t* __restrict__ k, float* __restrict__ out_row,
    int b, int base, int j, int t0, int end, int row_stride, int capacity, float scale) {
    constexpr int NV = NR * GROUP;            // dot products per token and KV head
    constexpr int P = pow2_at_least(NV);      // padded to halve evenly
    constexpr int HELD = P >= LANES ? P / LANES : 1;
    const int lane = threadIdx.x % 32, slot = threadIdx.x / LANES, d0 = (lane % LANES) * 8;

    // Which values reduce_scatter leaves in this lane: indices [first, first + HELD), counted
    // only by the lane whose bits are clear where a single value was added in both lanes.
    int first = 0;
    bool owner = true;
    {
        int len = P;
#pragma unroll
        for (int o = LANES / 2; o > 0; o >>= 1) {
            const bool upper = lane & o;
            if (len >= 2) { len /= 2; if (upper) first += len; }
            else if (upper) owner = false;
        }
    }

    float acc[PER];
#pragma unroll
    for (int i = 0; i < PER; ++i) acc[i] = 0.f;
    const float qscale = scale * SDEC_LOG2E;

#pragma unroll 1
    for (int kvh = 0; kvh < KV_HEADS; ++kvh) {
        // Value n = r*GROUP + g: query head kvh*GROUP + g of used row r, this lane's 8 dims.
        float qf[NV][8];
#pragma unroll
        for (int n = 0; n < NV; ++n) {
            const int row = n < GROUP ? 0 : j;
            const uint4 raw = *reinterpret_cast<const uint4*>(q + (((size_t)b * QROWS + row) * N_HEADS + kvh * GROUP + n % GROUP) * HEAD_DIM + d0);
            unpack8(raw, qf[n]);
#pragma unroll
            for (int e = 0; e < 8; ++e) qf[n][e] *= qscale;
        }
        // The lse2 and causal limit of each owned value; limit -1 masks padding and non-owners.
        float lse_own[HELD];
        int lim_own[HELD];
#pragma unroll
        for (int i = 0; i < HELD; ++i) {
            const int n = first + i;
            const bool valid = owner && n < NV;
            const int row = n < GROUP ? 0 : j;
            lse_own[i] = valid ? lse2[((size_t)b * QROWS + row) * N_HEADS + kvh * GROUP + n % GROUP] : 0.f;
            lim_own[i] = valid ? base + row : -1;
        }
        const bf16_t* k_head = k + ((size_t)b * KV_HEADS + kvh) * capacity * HEAD_DIM + d0;

#pragma unroll
        for (int i0 = 0; i0 < PER; i0 += UNROLL) {
            uint4 kr[UNROLL];
            int tok[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                tok[u] = t0 + (i0 + u) * SLOTS + slot;
                kr[u] = tok[u] < end ? *reinterpret_cast<const uint4*>(k_head + (size_t)tok[u] * HEAD_DIM) : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                float kf[8];
                unpack8(kr[u], kf);
                float v[P];
#pragma unroll
                for (int n = 0; n < P; ++n) {
                    float dot = 0.f;
                    if (n < NV) {
#pragma unroll
                        for (int e = 0; e < 8; ++e) dot = fmaf(qf[n][e], kf[e], dot);
                    }
                    v[n] = dot;
                }
                reduce_scatter<P, P, LANES / 2>(v, lane);
                float p = 0.f;
#pragma unroll
                for (int i = 0; i < HELD; ++i)
                    if (tok[u] <= lim_own[i]) p += exp2f(v[i] - lse_own[i]);
                acc[i0 + u] += p;
            }
        }
    }

    const float inv = 1.f / (N_HEADS * NR);
#pragma unroll
    for (int i = 0; i < PER; ++i) {
        float s = acc[i];
#pragma unroll
        for (int o = LANES / 2; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        const int t = t0 + i * SLOTS + slot;
        if (lane % LANES == 0 && t < row_stride) out_row[t] = t < end ? s * inv : -SDEC_INF;
    }
}

extern "C" __global__ void __launch_bounds__(THREADS) spec_score(
    const bf16_t* __restrict__ q,      // [batch][QROWS][KV_HEADS*GROUP][HEAD_DIM], post-RoPE
    const float* __restrict__ lse2,    // [batch][QROWS][KV_HEADS*GROUP], log2 domain, scale included
    const bf16_t* __restrict__ k,      // [batch][KV_HEADS][capacity][HEAD_DIM]
    const int* __restrict__ rows,      // [batch][2]: {base, j}, row r at position base + r
    float* __restrict__ out,           // [batch][row_stride]: score for t < seqlen, then -inf
    int row_stride, int capacity, float scale) {
    const int b = blockIdx.y, t0 = blockIdx.x * TOKENS;
    const int base = rows[2 * b];
    const int j = min(max(rows[2 * b + 1], 0), QROWS - 1);  // never read past the verify rows
    // seqlen = base + j + 1; never read past the cache, nor score past the row.
    const int end = min(min(base + j + 1, capacity), row_stride);
    float* out_row = out + (size_t)b * row_stride;
    if (t0 >= end) {  // all of the tile lies past seqlen
        for (int t = t0 + threadIdx.x; t < min(t0 + TOKENS, row_stride); t += THREADS) out_row[t] = -SDEC_INF;
        return;
    }
    if (j == 0) score_tile<1>(q, lse2, k, out_row, b, base, j, t0, end, row_stride, capacity, scale);
    else score_tile<2>(q, lse2, k, out_row, b, base, j, t0, end, row_stride, capacity, scale);
}

// Grid (KV_HEADS, batch, layers); row = layer*batch + b.
// picks  int [layers*batch][k_valid]: top-k of each (layer, sequence) score row, any order.
// sel_len int [batch]: the seqlen the scores were taken at.
// lists  int [layers*batch][KV_HEADS][entries], every KV head the same list: the picks (a pick
//        outside [0, sel_len), which a top-k shared by sequences of different lengths can return,
//        becomes -1), then sel_len + i for i < gamma (the draft steps' own tokens; attention skips
//        those at or past its context), then -1.
extern "C" __global__ void __launch_bounds__(THREADS) spec_tokens(
    const int* __restrict__ picks, const int* __restrict__ sel_len, int* __restrict__ lists,
    int k_valid, int gamma, int entries) {
    const int b = blockIdx.y, row = blockIdx.z * gridDim.y + b;
    const int len = sel_len[b];
    const int* in = picks + (size_t)row * k_valid;
    int* out = lists + ((size_t)row * KV_HEADS + blockIdx.x) * entries;
    for (int s = threadIdx.x; s < entries; s += THREADS) {
        int t = -1;
        if (s < k_valid) {
            const int p = in[s];
            t = p >= 0 && p < len ? p : -1;
        } else if (s < k_valid + gamma) {
            t = len + (s - k_valid);
        }
        out[s] = t;
    }
}
