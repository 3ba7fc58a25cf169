// LycheeDecode block scores without attention: score[head][b] = max over the tokens t of block b
// of (group-mean query . k_t), raw logits in fp32. One warp per block of SCORE_BLOCK tokens;
// LANES_PER_TOKEN lanes read each token with 16-byte loads, UNROLL tokens per lane in flight.

constexpr int LANES_PER_TOKEN = HEAD_DIM / 8;
constexpr int TOKENS_PER_STEP = 32 / LANES_PER_TOKEN;
constexpr int WARPS = THREADS / 32;

// grid: (ceil(n_blocks / WARPS), batch*kv_heads)
extern "C" __global__ void __launch_bounds__(THREADS) block_score(
    const bf16_t* __restrict__ q,   // [batch][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,   // [batch][kv_heads][capacity][HEAD_DIM]
    float* __restrict__ scores,     // [batch*kv_heads][n_blocks]
    int context, int capacity) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int head = blockIdx.y;
    const int block = blockIdx.x * WARPS + warp;
    const int n_blocks = (context + SCORE_BLOCK - 1) / SCORE_BLOCK;
    if (block >= n_blocks) return;
    const int sub = lane / LANES_PER_TOKEN, d0 = (lane % LANES_PER_TOKEN) * 8;

    float qbar[8];
    group_mean_query8<GROUP, HEAD_DIM>(q, head, d0, qbar);

    const bf16_t* kh = k + (size_t)head * capacity * HEAD_DIM;
    const int begin = block * SCORE_BLOCK, end = min(begin + SCORE_BLOCK, context);
    float best = -SDEC_INF;
    for (int base = begin; base < end; base += UNROLL * TOKENS_PER_STEP) {
        uint4 kr[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = base + u * TOKENS_PER_STEP + sub;
            kr[u] = t < end ? *reinterpret_cast<const uint4*>(kh + (size_t)t * HEAD_DIM + d0) : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const float dot = key_dot8<LANES_PER_TOKEN>(qbar, kr[u]);
            if (base + u * TOKENS_PER_STEP + sub < end) best = fmaxf(best, dot);
        }
    }
    best = warp_max(best);
    if (lane == 0) scores[(size_t)head * n_blocks + block] = best;
}

// TidalDecode token scores (SCORE_BLOCK 1): score[head][t] = group-mean query . k_t for every
// token t < context, raw logits in fp32. A warp takes WARP_TOKENS consecutive tokens, UNROLL loads
// of TOKENS_PER_STEP tokens in flight per lane.
constexpr int WARP_TOKENS = TOKENS_PER_STEP * UNROLL;

// grid: (ceil(capacity / (WARPS * WARP_TOKENS)), batch*kv_heads); warps past `context` return.
extern "C" __global__ void __launch_bounds__(THREADS) token_score(
    const bf16_t* __restrict__ q,   // [batch][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,   // [batch][kv_heads][capacity][HEAD_DIM]
    float* __restrict__ scores,     // [batch*kv_heads][context]
    int context, int capacity) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int head = blockIdx.y;
    const int base = (blockIdx.x * WARPS + warp) * WARP_TOKENS;
    if (base >= context) return;
    const int sub = lane / LANES_PER_TOKEN, d0 = (lane % LANES_PER_TOKEN) * 8;

    float qbar[8];
    group_mean_query8<GROUP, HEAD_DIM>(q, head, d0, qbar);

    const bf16_t* kh = k + (size_t)head * capacity * HEAD_DIM;
    uint4 kr[UNROLL];
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
        const int t = base + u * TOKENS_PER_STEP + sub;
        kr[u] = t < context ? *reinterpret_cast<const uint4*>(kh + (size_t)t * HEAD_DIM + d0) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
        const float dot = key_dot8<LANES_PER_TOKEN>(qbar, kr[u]);
        const int t = base + u * TOKENS_PER_STEP + sub;
        if (d0 == 0 && t < context) scores[(size_t)head * context + t] = dot;
    }
}
