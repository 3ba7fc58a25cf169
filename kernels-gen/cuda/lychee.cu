// LycheeDecode's index buffer between layers of one decode step (see sdec-model's lychee.rs for
// the semantics these kernels reproduce). One CTA per row = (batch, KV head).
//
// index  int [rows][k]: per head index, the block ids its sparse heads read (-1: none), ascending.
// tokens int [rows][entries], entries = k*block + sink + recent: the token ids a sparse head reads,
//        -1 where a slot repeats a token another slot holds, so every token is read once:
//        sink [0, min(sink, context)), recent [max(sink, context-recent), context), and the tokens
//        of each indexed block outside both.

// Token slot `slot` of a row whose index row is `index_row`.
__device__ __forceinline__ int lychee_slot(const int* __restrict__ index_row, int slot, int block, int sink, int recent, int context) {
    const int recent_begin = max(sink, context - recent);
    if (slot < sink) return slot < context ? slot : -1;
    if (slot < sink + recent) {
        const int t = context - recent + (slot - sink);
        return t < recent_begin ? -1 : t;
    }
    const int i = slot - sink - recent;
    const int b = index_row[i / block];
    const int t = b < 0 ? -1 : b * block + i % block;
    return t >= 0 && (t < sink || t >= recent_begin || t >= context) ? -1 : t;
}

extern "C" __global__ void __launch_bounds__(THREADS) lychee_tokens(
    const int* __restrict__ index, int* __restrict__ tokens, int k, int block, int sink, int recent, int context) {
    const int row = blockIdx.x;
    const int entries = k * block + sink + recent;
    int* out = tokens + (size_t)row * entries;
    for (int slot = threadIdx.x; slot < entries; slot += THREADS)
        out[slot] = lychee_slot(index + (size_t)row * k, slot, block, sink, recent, context);
}

// Retrieval heads of this layer store their new picks as their head index's row, and expand it
// into the row's token list at `context` (as lychee_tokens; the lists of the layers below are
// then ready without a launch of their own):
// index[row][i] = i < k_valid ? picks[row][i] : -1 where retrieval[row % kv_heads]; other rows keep
// their index and token list. picks int [rows][k_valid] (top-k output, ascending).
extern "C" __global__ void __launch_bounds__(THREADS) lychee_update(
    const int* __restrict__ picks, const int* __restrict__ retrieval, int* __restrict__ index, int* __restrict__ tokens,
    int kv_heads, int k, int k_valid, int block, int sink, int recent, int context) {
    const int row = blockIdx.x;
    if (!retrieval[row % kv_heads]) return;
    int* index_row = index + (size_t)row * k;
    for (int i = threadIdx.x; i < k; i += THREADS) index_row[i] = i < k_valid ? picks[(size_t)row * k_valid + i] : -1;
    __syncthreads();
    const int entries = k * block + sink + recent;
    int* out = tokens + (size_t)row * entries;
    for (int slot = threadIdx.x; slot < entries; slot += THREADS) out[slot] = lychee_slot(index_row, slot, block, sink, recent, context);
}
