// SpecAttn (Vegas) self-speculative decoding: the draft selection after a verify pass (see
// sdec-model's generate.rs `spec_scores` and policies/specattn.rs for the semantics).
//
// spec_score_logits: per layer, the selection score of token t of sequence b is the mean over all
//   query heads and the used verify rows {0, j} ({0} when j == 0) of the row's softmax
//   probability p_{r,h}(t) = exp2(logit_{r,h}(t) - lse2_{r,h}) for t <= base + r, else 0, where
//   logit = scale*log2(e)*q_{r,h}.k_t as the verify pass's chunk attention wrote it (fp16): the
//   selection reads 2 bytes per (used row, head, token) instead of every token's K row again.
// spec_tokens: the top-k picks of one or more layers' scores into the draft steps' token lists.

constexpr int N_HEADS = KV_HEADS * GROUP;

// logits [batch][KV_HEADS][QROWS*GROUP][capacity] (row r*GROUP + g: query head g of KV head's
// group at verify row r; -inf where the row does not see the token); lse2 [batch][QROWS]
// [KV_HEADS*GROUP]; rows [batch][2] = {base, j}; out [batch][row_stride]: the score for t < seqlen
// = base + j + 1, then -inf. Grid (tiles of THREADS tokens, batch); a thread per token.
extern "C" __global__ void __launch_bounds__(THREADS) spec_score_logits(
    const unsigned short* __restrict__ logits, const float* __restrict__ lse2, const int* __restrict__ rows,
    float* __restrict__ out, int row_stride, int capacity) {
    const int b = blockIdx.y, t = blockIdx.x * THREADS + threadIdx.x;
    if (t >= row_stride) return;
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
