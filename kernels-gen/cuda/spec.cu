// SpecAttn (Vegas) self-speculative decoding: the draft selection after a verify pass (see
// sdec-model's generate.rs `spec_scores` and policies/specattn.rs for the semantics).
//
// spec_score_logits: per layer, the selection score of token t of sequence b is the mean over all
//   query heads and the used verify rows {0, j} ({0} when j == 0) of the row's softmax
//   probability p_{r,h}(t) = exp2(logit_{r,h}(t) - lse2_{r,h}) for t <= base + r, else 0, where
//   logit = scale*log2(e)*q_{r,h}.k_t as the verify pass's chunk attention coded it (8 bits against
//   its unit's max, kernels-gen/src/logit_codes.rs): the selection reads a byte per (used row,
//   head, token) and a max per 32 tokens instead of every token's K row again.
// spec_tokens: the top-k picks of one or more layers' scores into the draft steps' token lists,
//   keeping the budget of the accepted seqlen (decided on the device, from the staged seqlen).
// spec_draft_begin: each draft step's position into those lists, its input into the verify chunk.
// spec_accept: greedy acceptance after a verify pass, on the device, so that the selection that
//   follows needs nothing uploaded: the host reads one small result and launches it at once.

constexpr int N_HEADS = KV_HEADS * GROUP;

// Per layer: codes, blocks [batch*KV_HEADS][blocks][CODE_BLOCK] of 128 tokens each, codes
// [ROWS][128] (row r*GROUP + g: query head g of the KV head's group at verify row r; 255 is 255
// steps below the unit's max or more, or a token the row does not see, which the position bound
// below skips) then the rows' maxes [ROWS][4] (f32, a unit of 32 tokens each); lse2 [batch]
// [QROWS][KV_HEADS*GROUP]; rows [batch][2] = {base, j}; out [batch][row_stride]: the score for
// t < seqlen = base + j + 1, then -inf. Layer l's codes start l * codes_layer bytes on (a
// multiple of 16), its lse2 l * lse_layer elements on, its scores l * batch * row_stride on.
// Grid (tiles of 4 * THREADS tokens, batch, layers): every layer in one launch (one launch a
// layer left the GPU idle ~2 us before each, 32 times a round: docs/results/decode.md section
// 17). A thread takes four neighbouring tokens, so a warp reads a row's 128 codes of a block as
// one line and their maxes as 16 bytes (docs/results/decode.md section 36 measured the other
// shapes), and the used rows' lse2 sit in shared memory.
constexpr int ROWS = QROWS * GROUP;
constexpr int CODE_UNIT = 32;
constexpr int CODE_BLOCK_TOKENS = 128;
constexpr int CODE_BLOCK = ROWS * (CODE_BLOCK_TOKENS + 4 * (CODE_BLOCK_TOKENS / CODE_UNIT));  // bytes
constexpr int SCORE_TOKENS = 4;  // tokens a thread
extern "C" __global__ void __launch_bounds__(THREADS) spec_score_logits(
    const unsigned char* __restrict__ codes, const float* __restrict__ lse2, const int* __restrict__ rows,
    float* __restrict__ out, int row_stride, int capacity, long long codes_layer, long long lse_layer) {
    __shared__ float lse_sm[2][N_HEADS];
    const int b = blockIdx.y, t0 = (blockIdx.x * THREADS + threadIdx.x) * SCORE_TOKENS;
    codes += blockIdx.z * codes_layer;
    lse2 += blockIdx.z * lse_layer;
    out += (size_t)blockIdx.z * gridDim.y * row_stride;
    const int base = rows[2 * b];
    const int j = min(max(rows[2 * b + 1], 0), QROWS - 1);
    const int n_rows = j == 0 ? 1 : 2;
    for (int i = threadIdx.x; i < n_rows * N_HEADS; i += THREADS)
        lse_sm[i / N_HEADS][i % N_HEADS] = lse2[((size_t)b * QROWS + (i < N_HEADS ? 0 : j)) * N_HEADS + i % N_HEADS];
    __syncthreads();
    if (t0 >= row_stride) return;
    const int end = min(min(base + j + 1, capacity), row_stride);
    float* out_row = out + (size_t)b * row_stride;
    float sum[SCORE_TOKENS] = {};
    const int blocks = (capacity + CODE_BLOCK_TOKENS - 1) / CODE_BLOCK_TOKENS;
    // This thread's codes (row 0) and its unit's max (row 0) in KV head 0's blocks of sequence b.
    const unsigned char* block0 = codes + ((size_t)b * KV_HEADS * blocks + t0 / CODE_BLOCK_TOKENS) * CODE_BLOCK;
    const unsigned char* codes0 = block0 + t0 % CODE_BLOCK_TOKENS;
    const float* max0 = reinterpret_cast<const float*>(block0 + ROWS * CODE_BLOCK_TOKENS) + t0 % CODE_BLOCK_TOKENS / CODE_UNIT;
    const size_t head_step = (size_t)blocks * CODE_BLOCK;  // bytes from one KV head's blocks to the next's
    for (int u = 0; u < n_rows && t0 < end; ++u) {
        const int r = u == 0 ? 0 : j;
        const int sees = base + r - t0;  // the row sees token t0 + i for i <= sees
        if (sees < 0) continue;
        float part[SCORE_TOKENS] = {};
        // HEAD_BATCH heads' loads are issued before their first use: enough bytes in flight.
        constexpr int HEAD_BATCH = N_HEADS < 16 ? N_HEADS : 16;
#pragma unroll
        for (int h0 = 0; h0 < N_HEADS; h0 += HEAD_BATCH) {
            u32 four[HEAD_BATCH];
            float mx[HEAD_BATCH];
#pragma unroll
            for (int i = 0; i < HEAD_BATCH; ++i) {
                const int h = min(h0 + i, N_HEADS - 1), rho = r * GROUP + h % GROUP;
                const size_t at = (size_t)(h / GROUP) * head_step;
                four[i] = *reinterpret_cast<const u32*>(codes0 + at + rho * CODE_BLOCK_TOKENS);
                mx[i] = *reinterpret_cast<const float*>(reinterpret_cast<const unsigned char*>(max0 + rho * (CODE_BLOCK_TOKENS / CODE_UNIT)) + at);
            }
#pragma unroll
            for (int i = 0; i < HEAD_BATCH && h0 + i < N_HEADS; ++i) {
                // p = exp2(max - code / 16 - lse2) in one FMA and the exp2: byte k of the codes
                // as byte 1 of 0x3f80'0000 is x = 1 + code 2^-15 exactly, and -code / 16 = 2048
                // - 2048 x (top + 2048 rounds by 2^-12 at most: 0.01% of p). No conversion
                // instruction: those share the exp2's slow unit.
                const float top = mx[i] - lse_sm[u][h0 + i] + 2048.f;
#pragma unroll
                for (int k = 0; k < SCORE_TOKENS; ++k) {
                    const float x = __int_as_float(__byte_perm(four[i], 0x3f800000u, 0x7604u | (k << 4)));
                    part[k] += exp2_fast(fmaf(x, -2048.f, top));
                }
            }
        }
#pragma unroll
        for (int k = 0; k < SCORE_TOKENS; ++k)
            if (sees >= k) sum[k] += part[k];  // (tokens past `end` are not written below)
    }
#pragma unroll
    for (int i = 0; i < SCORE_TOKENS; ++i)
        if (t0 + i < row_stride) out_row[t0 + i] = t0 + i < end ? sum[i] / (N_HEADS * n_rows) : -SDEC_INF;
}

// The picks' top-k order: score descending, then position ascending, then slot (the runtime's
// picks are distinct positions; the slot keeps the order total whatever the input).
struct PickKey {
    float score;
    int pos, slot;  // slot -1: no pick
};
__device__ __forceinline__ bool ranks_before(const PickKey& a, const PickKey& b) {
    return a.score > b.score || (a.score == b.score && (a.pos < b.pos || (a.pos == b.pos && a.slot < b.slot)));
}
__device__ __forceinline__ void keep_later(PickKey& worst, const PickKey& other) {
    if (other.slot >= 0 && (worst.slot < 0 || ranks_before(worst, other))) worst = other;
}

// The last pick in top-k order among those ranked before `cut` (every pick when cut.slot < 0).
// Every thread of the CTA gets it.
__device__ PickKey last_pick_before(const int* __restrict__ picks, const float* __restrict__ scores, int k_valid, PickKey cut) {
    __shared__ PickKey warp_last[THREADS / 32];
    PickKey worst = {0.f, 0, -1};
    for (int s = threadIdx.x; s < k_valid; s += THREADS) {
        const PickKey key = {scores[s], picks[s], s};
        if (cut.slot < 0 || ranks_before(key, cut)) keep_later(worst, key);
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const PickKey other = {__shfl_xor_sync(0xffffffffu, worst.score, o), __shfl_xor_sync(0xffffffffu, worst.pos, o),
                               __shfl_xor_sync(0xffffffffu, worst.slot, o)};
        keep_later(worst, other);
    }
    __syncthreads();  // the previous call's readers are done with warp_last
    if (threadIdx.x % 32 == 0) warp_last[threadIdx.x / 32] = worst;
    __syncthreads();
    for (int w = 0; w < THREADS / 32; ++w) keep_later(worst, warp_last[w]);
    return worst;
}

// Grid (KV_HEADS, batch, layers); row = layer*batch + b.
// picks, pick_scores [layers*batch][k_valid]: the top k_valid of each (layer, sequence) score row
//        at the round's longest seqlen, any order, with their scores.
// sel_len int [batch]: the seqlen the selection is for (the accepted one, staged by spec_accept).
// lists  int [layers*batch][KV_HEADS][entries], every KV head the same list: the picks that are
//        among the top budget(sel_len) = min(max(ceil(ratio * sel_len), budget_min), sel_len)
//        of them in top-k order and inside [0, sel_len) (the rest become -1), then -1: the last
//        gamma slots are the draft steps' own positions, which `spec_draft_begin` fills in as
//        they come. The budget is decided here, not by the host, so that the selection can run
//        before the host has read the accepted row: the scores past sel_len are -inf, so the
//        top budget(sel_len) of the row are the first of its top k_valid.
extern "C" __global__ void __launch_bounds__(THREADS) spec_tokens(
    const int* __restrict__ picks, const float* __restrict__ pick_scores, const int* __restrict__ sel_len, int* __restrict__ lists,
    int k_valid, int entries, double ratio, int budget_min) {
    const int b = blockIdx.y, row = blockIdx.z * gridDim.y + b;
    const int len = sel_len[b];
    const int* in = picks + (size_t)row * k_valid;
    const float* in_scores = pick_scores + (size_t)row * k_valid;
    int* out = lists + ((size_t)row * KV_HEADS + blockIdx.x) * entries;
    const double want = ceil(ratio * (double)len);
    const int budget = max(want >= (double)len ? len : min(max((int)want, budget_min), len), 0);
    // The last `drop` picks in top-k order are not this seqlen's: `cut` is the first of them.
    const int drop = k_valid - budget;
    PickKey cut = {0.f, 0, -1};
    for (int d = 0; d < drop && drop < k_valid; ++d) cut = last_pick_before(in, in_scores, k_valid, cut);
    for (int s = threadIdx.x; s < entries; s += THREADS) {
        int t = -1;
        if (s < k_valid) {
            const int p = in[s];
            const PickKey key = {in_scores[s], p, s};
            const bool kept = drop <= 0 || (drop < k_valid && ranks_before(key, cut));
            t = kept && p >= 0 && p < len ? p : -1;
        }
        out[s] = t;
    }
}

// A draft step's first kernel, for the step at position pos = sel_len + i (i < gamma; any other
// position is not one of the round's and changes nothing):
// - its position into slot entries - gamma + i of each layer's lists: a draft's attention then
//   reads the positions drafted so far and none after, without a context bound that changes
//   every step;
// - its input token into row i of the verification's chunk, chunk_in [batch][chunk_rows].
// So every draft step of every round is the same launch (one CUDA graph, no capture and no copy
// between steps). Grid (1, batch, layers); a thread per KV head's list.
extern "C" __global__ void __launch_bounds__(THREADS) spec_draft_begin(
    int* __restrict__ lists, const int* __restrict__ pos, const int* __restrict__ sel_len, const int* __restrict__ tokens,
    int* __restrict__ chunk_in, int chunk_rows, int gamma, int entries) {
    const int b = blockIdx.y, row = blockIdx.z * gridDim.y + b;
    const int p = pos[b], i = p - sel_len[b];
    if (i < 0 || i >= gamma) return;
    for (int h = threadIdx.x; h < KV_HEADS; h += THREADS) lists[((size_t)row * KV_HEADS + h) * entries + entries - gamma + i] = p;
    if (blockIdx.z == 0 && threadIdx.x == 0 && i < chunk_rows) chunk_in[b * chunk_rows + i] = tokens[b];
}

// After a verify pass of n = gamma + 1 rows per sequence from position `base`: row i of sequence b
// confirmed draft i + 1 when verified[b*n + i] == drafts[b*n + i + 1]. The batch keeps the
// shortest run of confirmations j (each sequence then still has exactly `full`'s tokens, see
// runtime/src/decode/spec.rs). Writes result = {j, verified[0 .. batch*n]} for the host, each
// sequence's next input token (its row j's) and position base + j + 1, and the selection's
// rows {base, j} and seqlen base + j + 1. `force_row` >= 0 keeps row min(force_row, n - 1)
// whatever matched: for timing a round at an acceptance random weights do not reach (the
// selection then reads the rows real text makes it read; the tokens are not `full`'s). One CTA.
extern "C" __global__ void __launch_bounds__(THREADS) spec_accept(
    const int* __restrict__ drafts, const int* __restrict__ verified, int batch, int n, int base,
    int* __restrict__ result, int* __restrict__ next_tokens, int* __restrict__ pos, int* __restrict__ rows,
    int* __restrict__ sel_len, int force_row) {
    __shared__ int shortest;
    if (threadIdx.x == 0) shortest = n - 1;
    __syncthreads();
    for (int b = threadIdx.x; b < batch; b += THREADS) {
        int matched = 0;
        while (matched < n - 1 && verified[b * n + matched] == drafts[b * n + matched + 1]) ++matched;
        atomicMin(&shortest, matched);
    }
    __syncthreads();
    const int j = force_row >= 0 ? min(force_row, n - 1) : shortest;
    if (threadIdx.x == 0) result[0] = j;
    for (int i = threadIdx.x; i < batch * n; i += THREADS) result[1 + i] = verified[i];
    for (int b = threadIdx.x; b < batch; b += THREADS) {
        next_tokens[b] = verified[b * n + j];
        pos[b] = base + j + 1;
        rows[2 * b] = base;
        rows[2 * b + 1] = j;
        sel_len[b] = base + j + 1;
    }
}
