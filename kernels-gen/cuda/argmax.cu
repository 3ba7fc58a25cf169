// Greedy tokens: the index of the largest logit of each row of fp32 [rows][n] (the smallest index
// among equal maxima; NaN never wins; a row with no number above -inf gives 0).
//
// CTAS CTAs share a row, each scanning one slice of it (a single CTA reads a 128K-entry row at a
// fraction of the bandwidth). Each writes its slice's winner to `part_*` [rows][MAX CTAS]; the
// last to finish — the one that takes the row's counter `done[row]` to CTAS - 1 — merges them,
// writes the row's index and sets the counter back to 0 for the next launch (the counters start
// zeroed; a launch leaves them so).

// The better of two (value, index) candidates: the larger value, then the smaller index.
__device__ __forceinline__ void keep_better(float& v, int& i, float ov, int oi) {
    if (ov > v || (ov == v && oi < i)) { v = ov; i = oi; }
}

// The CTA's best (value, index) over what each thread holds, for every thread.
__device__ __forceinline__ void block_best(float& v, int& i) {
    __shared__ float warp_v[THREADS / 32];
    __shared__ int warp_i[THREADS / 32];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) keep_better(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
    if (threadIdx.x % 32 == 0) { warp_v[threadIdx.x / 32] = v; warp_i[threadIdx.x / 32] = i; }
    __syncthreads();
#pragma unroll
    for (int w = 0; w < THREADS / 32; ++w) keep_better(v, i, warp_v[w], warp_i[w]);
}

extern "C" __global__ void __launch_bounds__(THREADS) argmax(
    const float* __restrict__ logits, int* __restrict__ out, int n, float* __restrict__ part_v, int* __restrict__ part_i,
    unsigned* __restrict__ done, int part_stride) {
    const int row = blockIdx.y;
    const float* x = logits + (size_t)row * n;
    // Slices of a whole number of float4s, so that a 16-byte-aligned row is read 16 bytes a load.
    const int slice = ((n + CTAS - 1) / CTAS + 3) / 4 * 4;
    const int lo = blockIdx.x * slice, hi = min(lo + slice, n);
    float v = -SDEC_INF;
    int i = n;  // a thread's indices rise, so `>` keeps the first of equal maxima
    if (n % 4 == 0 && (reinterpret_cast<size_t>(logits) & 15) == 0) {
        for (int at = lo + 4 * threadIdx.x; at < hi; at += 4 * THREADS) {
            const float4 q = *reinterpret_cast<const float4*>(x + at);
            if (q.x > v) { v = q.x; i = at; }
            if (q.y > v) { v = q.y; i = at + 1; }
            if (q.z > v) { v = q.z; i = at + 2; }
            if (q.w > v) { v = q.w; i = at + 3; }
        }
    } else {
        for (int at = lo + threadIdx.x; at < hi; at += THREADS)
            if (x[at] > v) { v = x[at]; i = at; }
    }
    block_best(v, i);
    if (CTAS == 1) {
        if (threadIdx.x == 0) out[row] = i < n ? i : 0;
        return;
    }
    // Whether this CTA is the row's last, told to every thread by the barrier itself: a shared
    // flag written here could share its address with block_best's warp slots, which slower
    // warps may still be reading (racecheck found the compiler placing it there).
    bool took_last = false;
    if (threadIdx.x == 0) {
        part_v[(size_t)row * part_stride + blockIdx.x] = v;
        part_i[(size_t)row * part_stride + blockIdx.x] = i;
        __threadfence();  // the winner is visible before the counter says so
        took_last = atomicAdd(done + row, 1u) == CTAS - 1;
    }
    if (!__syncthreads_or(took_last)) return;
    __threadfence();
    if (threadIdx.x < 32) {
        v = -SDEC_INF;
        i = n;
        for (int c = threadIdx.x; c < CTAS; c += 32)
            keep_better(v, i, __ldcg(part_v + (size_t)row * part_stride + c), __ldcg(part_i + (size_t)row * part_stride + c));
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) keep_better(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
        if (threadIdx.x == 0) {
            out[row] = i < n ? i : 0;
            done[row] = 0;
        }
    }
}
