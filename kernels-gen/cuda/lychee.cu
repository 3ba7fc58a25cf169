// LycheeDecode's index buffer between layers of one decode step (see sdec-model's lychee.rs for
// the semantics these kernels reproduce). One CTA per row = (batch, KV head).
//
// index  int [rows][k]: per head index, the block ids its sparse heads read (-1: none), ascending.
// tokens int [rows][entries], entries = k*block + sink + recent: the token ids a sparse head reads,
//        -1 where a slot repeats a token another slot holds, so every token is read once:
//        sink [0, min(sink, context)), recent [max(sink, context-recent), context), and the tokens
//        of each indexed block outside both.

// Token slot `slot` of a row whose block ids are ids[0..n_ids) (missing ids: -1).
__device__ __forceinline__ int lychee_slot(const int* __restrict__ ids, int n_ids, int slot, int block, int sink, int recent, int context) {
    const int recent_begin = max(sink, context - recent);
    if (slot < sink) return slot < context ? slot : -1;
    if (slot < sink + recent) {
        const int t = context - recent + (slot - sink);
        return t < recent_begin ? -1 : t;
    }
    const int i = slot - sink - recent;
    const int b = i / block < n_ids ? ids[i / block] : -1;
    const int t = b < 0 ? -1 : b * block + i % block;
    return t >= 0 && (t < sink || t >= recent_begin || t >= context) ? -1 : t;
}

// grid (rows, CTAs per row): CTA y of a row writes its slots y*THREADS + j*gridDim.y*THREADS.
extern "C" __global__ void __launch_bounds__(THREADS) lychee_tokens(
    const int* __restrict__ index, int* __restrict__ tokens, int k, int block, int sink, int recent, int context) {
    const int row = blockIdx.x;
    const int entries = k * block + sink + recent;
    int* out = tokens + (size_t)row * entries;
    for (int slot = blockIdx.y * THREADS + threadIdx.x; slot < entries; slot += gridDim.y * THREADS)
        out[slot] = lychee_slot(index + (size_t)row * k, k, slot, block, sink, recent, context);
}

// Retrieval heads of this layer store their new picks as their head index's row, and expand them
// into the row's token list at `context` (as lychee_tokens; the lists of the layers below are
// then ready without a launch of their own):
// index[row][i] = i < k_valid ? picks[row][i] : -1 where retrieval[row % kv_heads]; other rows keep
// their index and token list. picks int [rows][k_valid] (top-k output, ascending).
// grid (rows, CTAs per row) as lychee_tokens; CTA 0 of a row writes its index row.
extern "C" __global__ void __launch_bounds__(THREADS) lychee_update(
    const int* __restrict__ picks, const int* __restrict__ retrieval, int* __restrict__ index, int* __restrict__ tokens,
    int kv_heads, int k, int k_valid, int block, int sink, int recent, int context) {
    const int row = blockIdx.x;
    if (!retrieval[row % kv_heads]) return;
    const int* picked = picks + (size_t)row * k_valid;
    if (blockIdx.y == 0)
        for (int i = threadIdx.x; i < k; i += THREADS) index[(size_t)row * k + i] = i < k_valid ? picked[i] : -1;
    const int entries = k * block + sink + recent;
    int* out = tokens + (size_t)row * entries;
    for (int slot = blockIdx.y * THREADS + threadIdx.x; slot < entries; slot += gridDim.y * THREADS)
        out[slot] = lychee_slot(picked, k_valid, slot, block, sink, recent, context);
}
