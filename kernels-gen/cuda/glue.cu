// Glue of the decode step: simple, memory-bound kernels. Each launch handles one row per CTA
// unless said otherwise; THREADS threads stride over the row.

// The sum of every thread's v, for every thread of the CTA; `partial` holds THREADS / 32 floats.
__device__ __forceinline__ float block_sum(float v, float* partial) {
    v = warp_sum(v);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int j = 0; j < THREADS / 32; ++j) total += partial[j];
    return total;
}

// y = x / rms(x) * w;  x fp32 [rows][n] (the residual stream), w bf16 [n], y bf16 [rows][n].
extern "C" __global__ void __launch_bounds__(THREADS) rmsnorm(
    const float* __restrict__ x, const bf16_t* __restrict__ w, bf16_t* __restrict__ y, int n, float eps) {
    __shared__ float partial[THREADS / 32];
    const float* row = x + (size_t)blockIdx.x * n;
    float ss = 0.f;
    for (int i = threadIdx.x; i < n; i += THREADS) ss = fmaf(row[i], row[i], ss);
    const float inv = rsqrtf(block_sum(ss, partial) / n + eps);
    for (int i = threadIdx.x; i < n; i += THREADS)
        y[(size_t)blockIdx.x * n + i] = float_to_bf16(row[i] * inv * bf16_to_float(w[i]));
}

// Rotate-half RoPE in place on x bf16 [rows][heads][head_dim] at positions pos[rows];
// inv_freq fp64 [head_dim/2] (any frequency scaling is applied by the caller).
//
// The angle p * inv_freq and its sine and cosine are taken in fp64: in fp32 the angle of the
// fastest pair at position 131072 is off by up to half an ulp of 131072, 4e-3 rad, which moves
// rotated values by ~1e-2 (more than a bf16 rounding) at the long contexts this project is about.
__device__ __forceinline__ void rope_angle(int p, double inv_freq, float* s, float* c) {
    double sd, cd;
    sincos((double)p * inv_freq, &sd, &cd);
    *s = (float)sd;
    *c = (float)cd;
}

extern "C" __global__ void __launch_bounds__(THREADS) rope(
    bf16_t* __restrict__ x, const int* __restrict__ pos, const double* __restrict__ inv_freq,
    int heads, int head_dim) {
    const int half = head_dim / 2;
    const int p = pos[blockIdx.x];
    bf16_t* row = x + (size_t)blockIdx.x * heads * head_dim;
    for (int t = threadIdx.x; t < heads * half; t += THREADS) {
        const int h = t / half, i = t % half;
        float s, c;
        rope_angle(p, inv_freq[i], &s, &c);
        bf16_t* v = row + (size_t)h * head_dim;
        const float a = bf16_to_float(v[i]), b = bf16_to_float(v[i + half]);
        v[i] = float_to_bf16(a * c - b * s);
        v[i + half] = float_to_bf16(b * c + a * s);
    }
}

// out = silu(gate) * up;  gate_up bf16 [rows][n][2] ((gate, up) pairs, as the decode loop lays
// out the MLP's rows), out bf16 [rows][n].
extern "C" __global__ void __launch_bounds__(THREADS) swiglu(
    const bf16_t* __restrict__ gate_up, bf16_t* __restrict__ out, int n) {
    const bf16_t* row = gate_up + (size_t)blockIdx.x * 2 * n;
    for (int i = threadIdx.x; i < n; i += THREADS) {
        const float g = bf16_to_float(row[2 * i]), u = bf16_to_float(row[2 * i + 1]);
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

// The residual stream of a step from token ids: x fp32 [rows][n] = table bf16 [vocab][n] at tokens[row].
extern "C" __global__ void __launch_bounds__(THREADS) embed(
    const bf16_t* __restrict__ table, const int* __restrict__ tokens, float* __restrict__ x, int n) {
    const bf16_t* src = table + (size_t)tokens[blockIdx.x] * n;
    for (int i = threadIdx.x; i < n; i += THREADS) x[(size_t)blockIdx.x * n + i] = bf16_to_float(src[i]);
}

// Moves every sequence of the batch one position on: pos[row] += 1 (the step's last kernel, so a
// step needs no upload from the host).
extern "C" __global__ void __launch_bounds__(THREADS) advance(int* __restrict__ pos, int rows) {
    for (int i = blockIdx.x * THREADS + threadIdx.x; i < rows; i += gridDim.x * THREADS) pos[i] += 1;
}

// Waits `ns` nanoseconds of the GPU's global timer, then writes how long it waited to waited[0]
// (thread 0 only). Timing puts it before a run's start event: while it spins the host enqueues
// the event and the run, so the run starts right after the event instead of after the host's
// launch latency (a few µs, and noisy).
extern "C" __global__ void __launch_bounds__(THREADS) spin(unsigned long long* __restrict__ waited, unsigned long long ns) {
    if (threadIdx.x != 0) return;
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (t - t0 < ns);
    waited[0] = t - t0;
}

// Synthetic weights, bit-identical to sdec-model's `synthetic.rs` (read its module doc):
// value(index) = offset + scale * u(seed, tensor_id, index), u from the splitmix64 finalizer.
// Writes elements [0, n) of a tensor whose flat index starts at index0, as bf16 (round to nearest
// even) to `out`, or as fp32 to `out_f32` when it is not null (to test bit-identity). Element i
// goes to (i / row_len) * out_stride + i % row_len: rows of row_len values, out_stride apart
// (interleaving the rows of two tensors; row_len = out_stride = n for a plain tensor).
__device__ __forceinline__ u64 synth_mix64(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

extern "C" __global__ void __launch_bounds__(THREADS) synth_weights(
    bf16_t* __restrict__ out, float* __restrict__ out_f32, u64 n, u64 seed, u64 tensor_id, u64 index0,
    u64 row_len, u64 out_stride, float offset, float scale) {
    const u64 golden = 0x9E3779B97F4A7C15ull;
    const u64 stream = synth_mix64(seed * golden ^ tensor_id);
    for (u64 i = (u64)blockIdx.x * THREADS + threadIdx.x; i < n; i += (u64)gridDim.x * THREADS) {
        const u64 h = synth_mix64(stream + (index0 + i) * golden);
        const float u = (float)((int)(h >> 40) - 8388608) * 0x1p-23f;
        const float value = __fadd_rn(offset, __fmul_rn(scale, u));
        const u64 at = i / row_len * out_stride + i % row_len;
        if (out_f32 != nullptr) out_f32[at] = value;
        else out[at] = float_to_bf16(value);
    }
}

// RoPE and KV append of a step (or chunk) in one kernel, from the fused q|k|v projection.
// qkv bf16 [rows][(heads + 2*kv_heads) * head_dim] (q heads, then k heads, then v heads); the q
// and k heads' dims come in rotation pairs (dims i and i + head_dim/2 at 2i and 2i+1, as the
// decode loop orders W_q's and W_k's rows so that `linear` can rotate them itself);
// q_out bf16 [rows][heads][head_dim] gets the rotated queries; the rotated k and the v of row b go
// to cache [seq][kv_heads][capacity][head_dim] at pos[b], where seq = b / rows_per_seq (a chunk
// holds several rows per sequence). grid: (rows, heads + 2*kv_heads), a CTA per head of a row.
// (One CTA per row walked its 48 heads serially: 12–17 µs a layer at 128K.)
// Qwen3: q_norm / k_norm bf16 [head_dim] (null: none) RMS-normalise each q / k head before the
// rotation, x / rms(x) * w with `eps`.
extern "C" __global__ void __launch_bounds__(THREADS) rope_append(
    const bf16_t* __restrict__ qkv, bf16_t* __restrict__ q_out, bf16_t* __restrict__ k_cache, bf16_t* __restrict__ v_cache,
    const int* __restrict__ pos, const double* __restrict__ inv_freq, int heads, int kv_heads, int head_dim, int capacity,
    int rows_per_seq, const bf16_t* __restrict__ q_norm, const bf16_t* __restrict__ k_norm, float eps) {
    const int b = blockIdx.x, h = blockIdx.y, seq = b / rows_per_seq, half = head_dim / 2, p = pos[b];
    const bf16_t* src = qkv + ((size_t)b * (heads + 2 * kv_heads) + h) * head_dim;
    if (h < heads + kv_heads) {
        bf16_t* dst = h < heads ? q_out + ((size_t)b * heads + h) * head_dim
                                : k_cache + (((size_t)seq * kv_heads + (h - heads)) * capacity + p) * head_dim;
        // The same for the whole CTA, so the barrier below is reached by all or none.
        const bf16_t* norm = h < heads ? q_norm : k_norm;
        float inv = 1.f;
        if (norm) {
            __shared__ float partial[THREADS / 32];
            float ss = 0.f;
            for (int d = threadIdx.x; d < head_dim; d += THREADS) {
                const float x = bf16_to_float(src[d]);
                ss = fmaf(x, x, ss);
            }
            inv = rsqrtf(block_sum(ss, partial) / head_dim + eps);
        }
        for (int i = threadIdx.x; i < half; i += THREADS) {
            float s, c;
            rope_angle(p, inv_freq[i], &s, &c);
            float x0 = bf16_to_float(src[2 * i]), x1 = bf16_to_float(src[2 * i + 1]);
            if (norm) {
                x0 *= inv * bf16_to_float(norm[i]);
                x1 *= inv * bf16_to_float(norm[i + half]);
            }
            dst[i] = float_to_bf16(x0 * c - x1 * s);
            dst[i + half] = float_to_bf16(x1 * c + x0 * s);
        }
    } else {
        bf16_t* dst = v_cache + (((size_t)seq * kv_heads + (h - heads - kv_heads)) * capacity + p) * head_dim;
        for (int d = threadIdx.x; d < head_dim; d += THREADS) dst[d] = src[d];
    }
}
