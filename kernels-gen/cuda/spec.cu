// SpecAttn (Vegas) self-speculative decoding: the draft selection after a verify pass (see
// sdec-model's generate.rs `spec_scores` and policies/specattn.rs for the semantics).
//
// spec_score_logits: per layer, the selection score of token t of sequence b is the mean over all
//   query heads and the used verify rows {0, j} ({0} when j == 0) of the row's softmax
//   probability p_{r,h}(t) = exp2(logit_{r,h}(t) - lse2_{r,h}) for t <= base + r, else 0, where
//   logit = scale*log2(e)*q_{r,h}.k_t as the verify pass's chunk attention wrote it (fp16): the
//   selection reads 2 bytes per (used row, head, token) instead of every token's K row again.
// spec_tokens: the top-k picks of one or more layers' scores into the draft steps' token lists,
//   keeping the budget of the accepted seqlen (decided on the device, from the staged seqlen).
// spec_draft_begin: each draft step's position into those lists, its input into the verify chunk.
// spec_accept: greedy acceptance after a verify pass, on the device, so that the selection that
//   follows needs nothing uploaded: the host reads one small result and launches it at once.

constexpr int N_HEADS = KV_HEADS * GROUP;

// Per layer: logits [batch][KV_HEADS][QROWS*GROUP][capacity] (row r*GROUP + g: query head g of
// KV head's group at verify row r; -inf where the row does not see the token); lse2 [batch][QROWS]
// [KV_HEADS*GROUP]; rows [batch][2] = {base, j}; out [batch][row_stride]: the score for t < seqlen
// = base + j + 1, then -inf. Layer l's logits and lse2 start l * logits_layer and l * lse_layer
// elements on, its scores l * batch * row_stride on. Grid (tiles of 2 * THREADS tokens, batch,
// layers): every layer in one launch (one launch a layer left the GPU idle ~2 us before each, 32
// times a round: docs/results/decode.md section 17). A thread takes two neighbouring tokens, so
// a warp reads 128 contiguous bytes of a logit row a load, and the used rows' lse2 sit in shared
// memory (read from global memory per head and token they were half of the kernel's loads).
constexpr int SCORE_TOKENS = 2;  // tokens a thread
extern "C" __global__ void __launch_bounds__(THREADS) spec_score_logits(
    const unsigned short* __restrict__ logits, const float* __restrict__ lse2, const int* __restrict__ rows,
    float* __restrict__ out, int row_stride, int capacity, long long logits_layer, long long lse_layer) {
    __shared__ float lse_sm[2][N_HEADS];
    const int b = blockIdx.y, t0 = (blockIdx.x * THREADS + threadIdx.x) * SCORE_TOKENS;
    logits += blockIdx.z * logits_layer;
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
    // Both tokens from one 4-byte load where the layer's rows keep them aligned (t0 is even).
    const bool paired = capacity % 2 == 0 && (reinterpret_cast<size_t>(logits) & 3) == 0;
    const bool has_second = t0 + 1 < capacity;
    for (int u = 0; u < n_rows && t0 < end; ++u) {
        const int r = u == 0 ? 0 : j;
        const int sees = base + r - t0;  // the row sees token t0 + i for i <= sees
        if (sees < 0) continue;
        const unsigned short* row0 = logits + ((size_t)b * KV_HEADS * QROWS * GROUP + r * GROUP) * capacity + t0;
        float part[SCORE_TOKENS] = {};
        // HEAD_BATCH heads' loads are issued before their first use: enough bytes in flight.
        constexpr int HEAD_BATCH = N_HEADS < 16 ? N_HEADS : 16;
#pragma unroll
        for (int h0 = 0; h0 < N_HEADS; h0 += HEAD_BATCH) {
            u32 both[HEAD_BATCH];
#pragma unroll
            for (int i = 0; i < HEAD_BATCH; ++i) {
                const int h = h0 + i;
                const unsigned short* x = row0 + ((size_t)(h / GROUP) * QROWS * GROUP + h % GROUP) * capacity;
                both[i] = h >= N_HEADS ? 0u : paired ? *reinterpret_cast<const u32*>(x) : (u32)x[0] | (has_second ? (u32)x[1] << 16 : 0u);
            }
#pragma unroll
            for (int i = 0; i < HEAD_BATCH && h0 + i < N_HEADS; ++i) {
                const float l = lse_sm[u][h0 + i];
                part[0] += exp2_fast(f16_to_float((unsigned short)(both[i] & 0xffffu)) - l);
                part[1] += exp2_fast(f16_to_float((unsigned short)(both[i] >> 16)) - l);
            }
        }
        sum[0] += part[0];
        if (sees >= 1) sum[1] += part[1];  // (a second token past `end` is not written below)
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
