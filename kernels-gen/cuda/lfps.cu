// LFPS on the GPU (sdec-model's `lfps`, runtime/model/src/policies/lfps.rs): a step's candidates
// in one (batch, KV head) row are the last step's picks p widened to [p - w, p + 1 + w] (the
// vertical pattern, p, and the slash, p + 1: a fixed distance to the moving current token), and
// the current token. `lfps_clear` sets the row's scores to -inf; `lfps_score` writes the
// group-mean logit q̄ · k_t (fp32, raw) at every candidate t, one warp per pick; a top-k over the
// row then keeps this step's picks. Overlapping widenings write the same value to the same t.

constexpr int LANES_PER_TOKEN = HEAD_DIM / 8;
constexpr int TOKENS_PER_STEP = 32 / LANES_PER_TOKEN;
constexpr int WARPS = THREADS / 32;

// grid: (ceil(capacity / (THREADS * 16)), batch * kv_heads); scores [rows][context].
extern "C" __global__ void __launch_bounds__(THREADS) lfps_clear(float* __restrict__ scores, int context) {
    float* row = scores + (size_t)blockIdx.y * context;
    for (int t = blockIdx.x * THREADS + threadIdx.x; t < context; t += gridDim.x * THREADS) row[t] = -SDEC_INF;
}

// grid: (ceil(k / WARPS), batch * kv_heads). picks [rows][k] ascending positions (-1: none).
extern "C" __global__ void __launch_bounds__(THREADS) lfps_score(
    const bf16_t* __restrict__ q,      // [batch][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,      // [batch][kv_heads][capacity][HEAD_DIM]
    const int* __restrict__ picks,     // [rows][k_picks]
    float* __restrict__ scores,        // [rows][context]
    int k_picks, int w, int context, int capacity) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int row = blockIdx.y, i = blockIdx.x * WARPS + warp;
    if (i >= k_picks) return;
    const int p = picks[(size_t)row * k_picks + i];
    // Warp 0 of a row also scores the current token, with or without a pick.
    if (p < 0 && i != 0) return;
    const int sub = lane / LANES_PER_TOKEN, d0 = (lane % LANES_PER_TOKEN) * 8;

    float qbar[8];
    group_mean_query8<GROUP, HEAD_DIM>(q, row, d0, qbar);

    const bf16_t* kh = k + (size_t)row * capacity * HEAD_DIM;
    float* out = scores + (size_t)row * context;
    // The widened pick, and (warp 0 of the row) the current token.
    const int lo = p < 0 ? 0 : max(0, p - w), hi = p < 0 ? -1 : min(context - 1, p + 1 + w);
    const int n = hi - lo + 1 + (i == 0 ? 1 : 0);
    for (int base = 0; base < n; base += TOKENS_PER_STEP) {
        const int j = base + sub;
        const int t = j <= hi - lo ? lo + j : context - 1;
        const uint4 key8 = j < n ? *reinterpret_cast<const uint4*>(kh + (size_t)t * HEAD_DIM + d0) : make_uint4(0, 0, 0, 0);
        const float dot = key_dot8<LANES_PER_TOKEN>(qbar, key8);
        if (j < n && d0 == 0) out[t] = dot;
    }
}
