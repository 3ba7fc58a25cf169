// SpecAttn (Vegas) self-speculative decoding: the draft selection after a verify pass (see
// sdec-model's generate.rs `spec_scores` and policies/specattn.rs for the semantics).
//
// spec_score_logits: per layer, the selection score of token t of sequence b is the mean over all
//   query heads and the used verify rows {0, j} ({0} when j == 0) of the row's softmax
//   probability p_{r,h}(t) = exp2(logit_{r,h}(t) - lse2_{r,h}) for t <= base + r, else 0, where
//   logit = scale*log2(e)*q_{r,h}.k_t as the verify pass's chunk attention wrote it (fp16): the
//   selection reads 2 bytes per (used row, head, token) instead of every token's K row again.
// spec_tokens: the top-k picks of one or more layers' scores into the draft steps' token lists.
// spec_accept: greedy acceptance after a verify pass, on the device, so that the selection that
//   follows needs nothing uploaded: the host reads one small result and launches it at once.

constexpr int N_HEADS = KV_HEADS * GROUP;

// Per layer: logits [batch][KV_HEADS][QROWS*GROUP][capacity] (row r*GROUP + g: query head g of
// KV head's group at verify row r; -inf where the row does not see the token); lse2 [batch][QROWS]
// [KV_HEADS*GROUP]; rows [batch][2] = {base, j}; out [batch][row_stride]: the score for t < seqlen
// = base + j + 1, then -inf. Layer l's logits and lse2 start l * logits_layer and l * lse_layer
// elements on, its scores l * batch * row_stride on. Grid (tiles of THREADS tokens, batch,
// layers); a thread per token: every layer in one launch (one launch a layer left the GPU idle
// ~2 us before each, 32 times a round: docs/results/decode.md section 17).
extern "C" __global__ void __launch_bounds__(THREADS) spec_score_logits(
    const unsigned short* __restrict__ logits, const float* __restrict__ lse2, const int* __restrict__ rows,
    float* __restrict__ out, int row_stride, int capacity, long long logits_layer, long long lse_layer) {
    const int b = blockIdx.y, t = blockIdx.x * THREADS + threadIdx.x;
    if (t >= row_stride) return;
    logits += blockIdx.z * logits_layer;
    lse2 += blockIdx.z * lse_layer;
    out += (size_t)blockIdx.z * gridDim.y * row_stride;
    const int base = rows[2 * b];
    const int j = min(max(rows[2 * b + 1], 0), QROWS - 1);
    const int end = min(min(base + j + 1, capacity), row_stride);
    float* out_row = out + (size_t)b * row_stride;
    if (t >= end) {
        out_row[t] = -SDEC_INF;
        return;
    }
    const int n_rows = j == 0 ? 1 : 2;
    float sum = 0.f;
    for (int u = 0; u < n_rows; ++u) {
        const int r = u == 0 ? 0 : j;
        if (t > base + r) continue;  // the row does not see the token
        const float* lse_row = lse2 + ((size_t)b * QROWS + r) * N_HEADS;
#pragma unroll
        for (int h = 0; h < N_HEADS; ++h) {
            const int kvh = h / GROUP, g = h % GROUP;
            const unsigned short x = logits[(((size_t)b * KV_HEADS + kvh) * QROWS * GROUP + r * GROUP + g) * capacity + t];
            sum += exp2f(f16_to_float(x) - lse_row[h]);
        }
    }
    out_row[t] = sum / (N_HEADS * n_rows);
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
