// LycheeDecode's index buffer between layers of one decode step (see sdec-model's lychee.rs for
// the semantics these kernels reproduce). One CTA per row = (batch, KV head).
//
// index  int [rows][k]: per head index, the block ids its sparse heads read (-1: none), ascending.
// tokens int [rows][entries], entries = k*block + sink + recent: the token ids a sparse head reads,
//        -1 where a slot repeats a token another slot holds, so every token is read once:
//        sink [0, min(sink, context)), recent [max(sink, context-recent), context), and the tokens
//        of each indexed block outside both.

extern "C" __global__ void __launch_bounds__(THREADS) lychee_tokens(
    const int* __restrict__ index, int* __restrict__ tokens, int k, int block, int sink, int recent, int context) {
    const int row = blockIdx.x;
    const int entries = k * block + sink + recent;
    const int recent_begin = max(sink, context - recent);
    int* out = tokens + (size_t)row * entries;
    for (int slot = threadIdx.x; slot < entries; slot += THREADS) {
        int t;
        if (slot < sink) {
            t = slot < context ? slot : -1;
        } else if (slot < sink + recent) {
            t = context - recent + (slot - sink);
            if (t < recent_begin) t = -1;
        } else {
            const int i = slot - sink - recent;
            const int b = index[(size_t)row * k + i / block];
            t = b < 0 ? -1 : b * block + i % block;
            if (t >= 0 && (t < sink || t >= recent_begin || t >= context)) t = -1;
        }
        out[slot] = t;
    }
}

// Retrieval heads of this layer store their new picks as their head index's row:
// index[row][i] = i < k_valid ? picks[row][i] : -1 where retrieval[row % kv_heads]; other rows keep
// what an earlier layer wrote. picks int [rows][k_valid] (top-k output, ascending).
extern "C" __global__ void __launch_bounds__(THREADS) lychee_update(
    const int* __restrict__ picks, const int* __restrict__ retrieval, int* __restrict__ index,
    int kv_heads, int k, int k_valid) {
    const int row = blockIdx.x;
    if (!retrieval[row % kv_heads]) return;
    for (int i = threadIdx.x; i < k; i += THREADS)
        index[(size_t)row * k + i] = i < k_valid ? picks[(size_t)row * k_valid + i] : -1;
}
