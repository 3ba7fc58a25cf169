// Quest (page selection from per-page key bounds), as sdec-model's `quest` policy defines it.
//
// meta bf16 [batch][kv_heads][pages_cap][2][HEAD_DIM]: per page of PAGE tokens, the elementwise
// min and max of its keys — exact in bf16, since the keys are bf16. A pass that appends rows
// recomputes the pages those rows fall in (`quest_pages`), so the bounds always cover the cache.

// One CTA per (appended row, KV head): page pos/PAGE over tokens [page*PAGE, min(+PAGE, context)).
// Rows of one page recompute it alike (the same values written twice).
extern "C" __global__ void __launch_bounds__(THREADS) quest_pages(
    const bf16_t* __restrict__ k, bf16_t* __restrict__ meta, const int* __restrict__ pos,
    int rows_per_seq, int context, int kv_heads, int capacity, int pages_cap) {
    const int row = blockIdx.x, h = blockIdx.y, seq = row / rows_per_seq;
    const int page = pos[row] / PAGE;
    const int t0 = page * PAGE, t1 = min(t0 + PAGE, context);
    const bf16_t* kh = k + ((size_t)seq * kv_heads + h) * capacity * HEAD_DIM;
    bf16_t* m = meta + (((size_t)seq * kv_heads + h) * pages_cap + page) * 2 * HEAD_DIM;
    for (int d = threadIdx.x; d < HEAD_DIM; d += THREADS) {
        float lo = SDEC_INF, hi = -SDEC_INF;
        for (int t = t0; t < t1; ++t) {
            const float v = bf16_to_float(kh[(size_t)t * HEAD_DIM + d]);
            lo = fminf(lo, v);
            hi = fmaxf(hi, v);
        }
        m[d] = float_to_bf16(lo);  // exact: lo and hi are bf16 values
        m[HEAD_DIM + d] = float_to_bf16(hi);
    }
}

// One warp per page of one (batch, KV head): the score is the maximum over the group's query
// heads of sum_d max(q_d * min_d, q_d * max_d), an upper bound of q.k over the page's keys.
// scores fp32 [batch*kv_heads][n_pages] (the top-k's row length).
extern "C" __global__ void __launch_bounds__(THREADS) quest_score(
    const bf16_t* __restrict__ q, const bf16_t* __restrict__ meta, float* __restrict__ scores,
    int n_pages, int kv_heads, int pages_cap) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int page = blockIdx.x * (THREADS / 32) + warp, head = blockIdx.y;
    if (page >= n_pages) return;
    const bf16_t* m = meta + ((size_t)head * pages_cap + page) * 2 * HEAD_DIM;
    float best = -SDEC_INF;
#pragma unroll
    for (int g = 0; g < GROUP; ++g) {
        const bf16_t* qh = q + ((size_t)head * GROUP + g) * HEAD_DIM;
        float sum = 0.f;
        for (int d = lane; d < HEAD_DIM; d += 32) {
            const float qd = bf16_to_float(qh[d]);
            sum += fmaxf(qd * bf16_to_float(m[d]), qd * bf16_to_float(m[HEAD_DIM + d]));
        }
        best = fmaxf(best, warp_sum(sum));
    }
    if (lane == 0) scores[(size_t)head * n_pages + page] = best;
}

// The page lists of `gather_attention` (gather block PAGE): the top-k picks, then the page of the
// current token unless a pick holds it already, then -1. picks int [rows][k_valid].
extern "C" __global__ void __launch_bounds__(THREADS) quest_list(
    const int* __restrict__ picks, int* __restrict__ lists, int k_valid, int n_pages, int entries) {
    const int row = blockIdx.x, last = n_pages - 1;
    __shared__ int has_last;
    if (threadIdx.x == 0) has_last = 0;
    __syncthreads();
    const int* p = picks + (size_t)row * k_valid;
    for (int i = threadIdx.x; i < k_valid; i += THREADS)
        if (p[i] == last) has_last = 1;
    __syncthreads();
    int* out = lists + (size_t)row * entries;
    for (int i = threadIdx.x; i < entries; i += THREADS)
        out[i] = i < k_valid ? p[i] : (i == k_valid && !has_last ? last : -1);
}
