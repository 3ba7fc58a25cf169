// Glue of the decode step: simple, memory-bound kernels. Each launch handles one row per CTA
// unless said otherwise; THREADS threads stride over the row.

// y = x / rms(x) * w;  x fp32 [rows][n] (the residual stream), w bf16 [n], y bf16 [rows][n].
extern "C" __global__ void __launch_bounds__(THREADS) rmsnorm(
    const float* __restrict__ x, const bf16_t* __restrict__ w, bf16_t* __restrict__ y, int n, float eps) {
    __shared__ float partial[THREADS / 32];
    const float* row = x + (size_t)blockIdx.x * n;
    float ss = 0.f;
    for (int i = threadIdx.x; i < n; i += THREADS) ss = fmaf(row[i], row[i], ss);
    ss = warp_sum(ss);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = ss;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int j = 0; j < THREADS / 32; ++j) total += partial[j];
    const float inv = rsqrtf(total / n + eps);
    for (int i = threadIdx.x; i < n; i += THREADS)
        y[(size_t)blockIdx.x * n + i] = float_to_bf16(row[i] * inv * bf16_to_float(w[i]));
}

// Rotate-half RoPE in place on x bf16 [rows][heads][head_dim] at positions pos[rows];
// inv_freq fp32 [head_dim/2] (any frequency scaling is applied by the caller).
extern "C" __global__ void __launch_bounds__(THREADS) rope(
    bf16_t* __restrict__ x, const int* __restrict__ pos, const float* __restrict__ inv_freq,
    int heads, int head_dim) {
    const int half = head_dim / 2;
    const float p = (float)pos[blockIdx.x];
    bf16_t* row = x + (size_t)blockIdx.x * heads * head_dim;
    for (int t = threadIdx.x; t < heads * half; t += THREADS) {
        const int h = t / half, i = t % half;
        float s, c;
        sincosf(p * inv_freq[i], &s, &c);
        bf16_t* v = row + (size_t)h * head_dim;
        const float a = bf16_to_float(v[i]), b = bf16_to_float(v[i + half]);
        v[i] = float_to_bf16(a * c - b * s);
        v[i + half] = float_to_bf16(b * c + a * s);
    }
}

// out = silu(gate) * up;  gate_up bf16 [rows][2n] (gate first), out bf16 [rows][n].
extern "C" __global__ void __launch_bounds__(THREADS) swiglu(
    const bf16_t* __restrict__ gate_up, bf16_t* __restrict__ out, int n) {
    const bf16_t* row = gate_up + (size_t)blockIdx.x * 2 * n;
    for (int i = threadIdx.x; i < n; i += THREADS) {
        const float g = bf16_to_float(row[i]), u = bf16_to_float(row[n + i]);
        out[(size_t)blockIdx.x * n + i] = float_to_bf16(g / (1.f + __expf(-g)) * u);
    }
}

// Append one token's K and V per (batch, KV head): new bf16 [batch][kv_heads][head_dim] goes to
// cache [batch][kv_heads][capacity][head_dim] at pos[batch]. grid: batch*kv_heads.
extern "C" __global__ void __launch_bounds__(THREADS) kv_append(
    const bf16_t* __restrict__ k_new, const bf16_t* __restrict__ v_new, bf16_t* __restrict__ k_cache,
    bf16_t* __restrict__ v_cache, const int* __restrict__ pos, int kv_heads, int capacity, int head_dim) {
    const int bh = blockIdx.x, b = bh / kv_heads;
    const size_t dst = ((size_t)bh * capacity + pos[b]) * head_dim;
    for (int i = threadIdx.x; i < head_dim; i += THREADS) {
        k_cache[dst + i] = k_new[(size_t)bh * head_dim + i];
        v_cache[dst + i] = v_new[(size_t)bh * head_dim + i];
    }
}

// Index of the largest logit per row (the smallest index among equal maxima). fp32 [rows][n].
extern "C" __global__ void __launch_bounds__(THREADS) argmax(const float* __restrict__ logits, int* __restrict__ out, int n) {
    __shared__ float best_val[THREADS / 32];
    __shared__ int best_idx[THREADS / 32];
    const float* row = logits + (size_t)blockIdx.x * n;
    float bv = -SDEC_INF;
    int bi = n;
    for (int i = threadIdx.x; i < n; i += THREADS)
        if (row[i] > bv) { bv = row[i]; bi = i; }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (ov > bv || (ov == bv && oi < bi)) { bv = ov; bi = oi; }
    }
    if (threadIdx.x % 32 == 0) { best_val[threadIdx.x / 32] = bv; best_idx[threadIdx.x / 32] = bi; }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < THREADS / 32; ++w)
            if (best_val[w] > bv || (best_val[w] == bv && best_idx[w] < bi)) { bv = best_val[w]; bi = best_idx[w]; }
        // A row of NaN or -inf only: fall back to index 0 rather than an out-of-range id.
        out[blockIdx.x] = bi < n ? bi : 0;
    }
}
