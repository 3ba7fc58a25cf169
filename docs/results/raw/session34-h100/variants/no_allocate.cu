// Memory-bound linear layer of a decode step: y[b][o] = sum_i W[o][i] * x[b][i] for BATCH rows.
// W bf16 [out][in] row-major (read once: the step's dominant traffic); the input rows are small,
// served from L1/L2 to every warp; fp32 accumulation.
//
// Each warp owns ROWS consecutive output rows; its lanes walk the rows' `in` elements with
// 16-byte loads, UNROLL loads per row in flight, and reduce by shuffles at the end.
//
// IN_MODE — what x is, so the step needs no separate kernel to prepare it:
//   0: bf16 [BATCH][in].
//   1: fp32 [BATCH][in] (the SwiGLU activations, kept in fp32).
//   2: RMSNorm of the fp32 residual [BATCH][in] with bf16 weights `gamma`:
//      x = x / rms(x) * gamma, kept in fp32 (no bf16 rounding: the input never goes to memory);
//      the norm is factored out of the product, W (x * gamma) / rms(x): the squares are summed
//      from the same loads of x that feed the products (a warp's on CUDA cores, a CTA's on tensor
//      cores) and the sums scaled at the end, so x is read once and nothing waits for a norm
//      before the products start.
// On CUDA cores (MMA = 0) it launches as a programmatic dependent: each warp loads its first loop
// step of weights into registers before it waits for the predecessor, and the CTA lets the next
// kernel launch once it has read its weights, so a projection's first loads overlap the previous
// one's tail (H100, 128K b1, docs/results/decode.md section 24: `lychee` 6.57 -> 6.44-6.45 ms,
// `full` 11.31-11.34 -> 11.27-11.32). Alone the kernel is 5-8% slower than with the L2 prefetch
// it replaces, but in the step the prefetch form was 0.1 ms slower; earlier dependents that
// waited first, or let the next launch at their start, were slower too (sections 15 and 18).
// The tensor-core path (MMA = 1) launches plainly.
// OUT_MODE: 0 writes bf16, 1 writes fp32, 2 adds to fp32 (the residual stream: y += W x),
//   3 writes silu(y[2j]) * y[2j+1] in fp32 to act[b][j]: W holds gate and up rows interleaved
//   (gate_j, up_j), a warp owns whole pairs (ROWS even on CUDA cores; a tensor-core tile of 16
//   rows always holds them), so the MLP's SwiGLU needs no kernel.
//   4 is a Llama layer's q|k|v product: the q and k heads' rows come in rotation pairs (dims i
//   and i + head_dim/2 at rows 2i, 2i+1; whole pairs in a warp, as in mode 3), q is rotated into
//   y_out bf16 [BATCH][q_dim], k rotated and v copied into the KV cache at each row's position:
//   glue.cu's rope_append without its launch (~2 us a layer).

// Probe: weights loaded without allocating in L1 (read once), so the inputs keep it.
__device__ __forceinline__ uint4 ld_weight(const uint4* p) {
    uint4 v;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

constexpr int WARPS = THREADS / 32;

// OUT_MODE 4's destinations besides q: the layer's KV cache [seq][kv_heads][capacity][head_dim]
// (seq = row / rows_per_seq: a chunk holds several rows of a sequence), each row's position, and
// RoPE's inverse frequencies (fp64 [head_dim / 2]). Unused (null) in the other modes.
struct RopeAppend {
    bf16_t* k_cache;
    bf16_t* v_cache;
    const int* pos;
    const double* inv_freq;
    int head_dim, kv_dim, capacity, rows_per_seq;
};

// Stores product row `row` of batch row b in OUT_MODE 4. A q or k row is even and `partner` is
// its pair's value (row + 1); a v row stands alone. As rope_append (glue.cu) on a bf16 product:
// each value rounded to bf16, the angle p * inv_freq in fp64 (in fp32 it is off by up to 4e-3 rad
// at 128K). Unlike there, the angle is reduced to [-pi, pi] in fp64 and its sine and cosine taken
// in fp32 (error ~1e-7, far below the bf16 rounding that follows): fp64 sincos is a long chain of
// dependent instructions at the end of every CTA (the seven-row product with it: +2.5 us).
__device__ __forceinline__ void store_rope_append(float y, float partner, int row, int b, int out_dim, bf16_t* __restrict__ q_out,
                                                  const RopeAppend& ra) {
    const int q_dim = out_dim - 2 * ra.kv_dim, kv_heads = ra.kv_dim / ra.head_dim, seq = b / ra.rows_per_seq, p = ra.pos[b];
    const int head_row = row % ra.head_dim;  // every region starts at a head boundary
    if (row >= q_dim + ra.kv_dim) {
        const int h = (row - q_dim - ra.kv_dim) / ra.head_dim;
        ra.v_cache[(((size_t)seq * kv_heads + h) * ra.capacity + p) * ra.head_dim + head_row] = float_to_bf16(y);
        return;
    }
    const int i = head_row / 2, half = ra.head_dim / 2;
    const float x0 = bf16_to_float(float_to_bf16(y)), x1 = bf16_to_float(float_to_bf16(partner));
    const double angle = (double)p * ra.inv_freq[i];
    const float reduced = (float)fma(-rint(angle * 0.15915494309189535), 6.283185307179586, angle);
    float s, c;
    sincosf(reduced, &s, &c);
    bf16_t* dst = row < q_dim ? q_out + (size_t)b * q_dim + (row - head_row)
                              : ra.k_cache + (((size_t)seq * kv_heads + (row - q_dim) / ra.head_dim) * ra.capacity + p) * ra.head_dim;
    dst[i] = float_to_bf16(x0 * c - x1 * s);
    dst[i + half] = float_to_bf16(x1 * c + x0 * s);
}

// The 8 inputs of batch row b at 16-byte chunk c (IN_MODE 0 and 1; 2 is load_x8_unnormed).
__device__ __forceinline__ void load_x8(const void* __restrict__ x, int b, int c, int in_dim, float out[8]) {
    if (IN_MODE == 0) {
        unpack8(__ldg(reinterpret_cast<const uint4*>(reinterpret_cast<const bf16_t*>(x) + (size_t)b * in_dim) + c), out);
    } else {
        const float4* row = reinterpret_cast<const float4*>(reinterpret_cast<const float*>(x) + (size_t)b * in_dim) + 2 * c;
        const float4 lo = __ldg(row), hi = __ldg(row + 1);
        out[0] = lo.x; out[1] = lo.y; out[2] = lo.z; out[3] = lo.w;
        out[4] = hi.x; out[5] = hi.y; out[6] = hi.z; out[7] = hi.w;
    }
}

// IN_MODE 2: the 8 inputs times gamma (not yet divided by the norm), their squares added to *ss.
__device__ __forceinline__ void load_x8_unnormed(const void* __restrict__ x, const bf16_t* __restrict__ gamma, int b, int c, int in_dim,
                                                 float out[8], float* ss) {
    const float4* row = reinterpret_cast<const float4*>(reinterpret_cast<const float*>(x) + (size_t)b * in_dim) + 2 * c;
    const float4 lo = __ldg(row), hi = __ldg(row + 1);
    const float v[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
    float gm[8];
    unpack8(__ldg(reinterpret_cast<const uint4*>(gamma) + c), gm);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
        *ss = fmaf(v[j], v[j], *ss);
        out[j] = v[j] * gm[j];
    }
}

// Several rows (MMA = 1; batch 2-16): on CUDA cores every weight chunk would need BATCH loads of
// the input from L1 (L1-bound from batch 3 on), so the rows go through tensor cores instead:
// a warp owns ROWS tiles of 16 output rows, and one mma.m16n8k16 multiplies a 16x16 weight tile
// by a 16 x 8 input tile (batch rows in tiles of 8, the last padded; the weights are loaded
// once for all of them). A CTA owns ROWS tiles, its warps split the
// columns (so even the 4096-row o projection gets 256 CTAs) and add their partial tiles through
// shared memory at the end. The k order inside a 32-column chunk is
// permuted the same way for weights and inputs, so each lane loads whole 16-byte chunks: lane
// (gid, tig) reads columns 8tig..8tig+7 of weight rows gid and gid+8 and of input row gid,
// which are its fragments for two k-steps. fp32 inputs go in as bf16 hi + lo (two MMAs), so
// they keep 16 bits as on the CUDA-core path; bf16 inputs need one.
__device__ __forceinline__ void linear_mma(
    const bf16_t* __restrict__ w, const void* __restrict__ x, const bf16_t* __restrict__ gamma, float eps,
    void* __restrict__ y_out, int out_dim, int in_dim, const RopeAppend& ra) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, gid = lane / 4, tig = lane % 4;
    constexpr int NT = (BATCH + 7) / 8;  // input tiles of 8 batch rows
    const int row0 = blockIdx.x * ROWS * 16;
    if (row0 >= out_dim) return;
    float acc[ROWS][NT][4];
#pragma unroll
    for (int t = 0; t < ROWS; ++t)
#pragma unroll
        for (int n = 0; n < NT; ++n) acc[t][n][0] = acc[t][n][1] = acc[t][n][2] = acc[t][n][3] = 0.f;
    float ss[NT];  // IN_MODE 2: this lane's sum of squares of batch row n * 8 + gid
#pragma unroll
    for (int n = 0; n < NT; ++n) ss[n] = 0.f;
    const int chunks = (in_dim + 31) / 32;  // 32-column chunks: two k-steps (the last one partial)
    const int col = tig * 8;                // this lane's 8 columns of a chunk
    for (int c0 = warp * UNROLL; c0 < chunks; c0 += WARPS * UNROLL) {
        uint4 wr[ROWS][UNROLL][2];
#pragma unroll
        for (int t = 0; t < ROWS; ++t)
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const int row = min(row0 + t * 16 + gid + h * 8, out_dim - 1);
                    const int c = c0 + u;
                    wr[t][u][h] = c < chunks && c * 32 + col < in_dim
                                      ? ld_weight(reinterpret_cast<const uint4*>(w + (size_t)row * in_dim + c * 32 + col))
                                      : make_uint4(0, 0, 0, 0);
                }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int c = c0 + u;
            if (c >= chunks) break;
#pragma unroll
            for (int n = 0; n < NT; ++n) {
                const int b = n * 8 + gid;
                float xf[8];
                if (b < BATCH && c * 32 + col < in_dim) {
                    if (IN_MODE == 2) load_x8_unnormed(x, gamma, b, c * 4 + tig, in_dim, xf, &ss[n]);
                    else load_x8(x, b, c * 4 + tig, in_dim, xf);
                } else {
#pragma unroll
                    for (int j = 0; j < 8; ++j) xf[j] = 0.f;
                }
                u32 bh[4], bl[4];
#pragma unroll
                for (int j = 0; j < 4; ++j) split_bf16(xf[2 * j], xf[2 * j + 1], bh[j], bl[j]);
#pragma unroll
                for (int t = 0; t < ROWS; ++t) {
                    const uint4 lo = wr[t][u][0], hi = wr[t][u][1];
                    const u32 a0[4] = {lo.x, hi.x, lo.y, hi.y}, a1[4] = {lo.z, hi.z, lo.w, hi.w};
                    mma_bf16(acc[t][n], a0, bh[0], bh[1]);
                    mma_bf16(acc[t][n], a1, bh[2], bh[3]);
                    if (IN_MODE != 0) {
                        mma_bf16(acc[t][n], a0, bl[0], bl[1]);
                        mma_bf16(acc[t][n], a1, bl[2], bl[3]);
                    }
                }
            }
        }
    }
    // The warps' partial tiles, added through shared memory. acc[t][n]: rows gid and gid+8 of
    // tile t, batch rows 8n + 2tig and 8n + 2tig + 1.
    __shared__ float partial[WARPS][ROWS][NT][4][32];
#pragma unroll
    for (int t = 0; t < ROWS; ++t)
#pragma unroll
        for (int n = 0; n < NT; ++n)
#pragma unroll
            for (int i = 0; i < 4; ++i) partial[warp][t][n][i][lane] = acc[t][n][i];
    // IN_MODE 2: the warps' sums of squares per batch row (a row's columns are spread over the
    // four lanes of its gid and over the warps).
    __shared__ float squares[IN_MODE == 2 ? WARPS : 1][NT][8];
    if (IN_MODE == 2) {
#pragma unroll
        for (int n = 0; n < NT; ++n) {
            float v = ss[n];
            v += __shfl_xor_sync(0xffffffffu, v, 1);
            v += __shfl_xor_sync(0xffffffffu, v, 2);
            if (tig == 0) squares[warp][n][gid] = v;
        }
    }
    __syncthreads();
    // Each warp adds up and stores some of the tile's values (lane's value i of tile t, input tile
    // n), so the sums and the stores' arithmetic (RoPE's sine and cosine) are spread over the CTA
    // instead of waiting on warp 0 alone.
    for (int item = warp; item < ROWS * NT * 4; item += WARPS) {
        const int t = item / (NT * 4), n = item / 4 % NT, i = item % 4;
        float v = 0.f;
        for (int wp = 0; wp < WARPS; ++wp) v += partial[wp][t][n][i][lane];
        const int row = row0 + t * 16 + gid + (i >> 1) * 8, b = n * 8 + 2 * tig + (i & 1);
        if (IN_MODE == 2) {
            float total = 0.f;
            for (int wp = 0; wp < WARPS; ++wp) total += squares[wp][n][b % 8];
            v *= rsqrtf(total / in_dim + eps);
        }
        const float partner = __shfl_xor_sync(0xffffffffu, v, 4);  // row gid ^ 1 (the same batch row)
        if (b >= BATCH || row >= out_dim) continue;
        if (OUT_MODE == 4) {
            const bool paired = row < out_dim - ra.kv_dim;  // q and k rows: the even one stores the pair
            if (!paired || gid % 2 == 0) store_rope_append(v, partner, row, b, out_dim, reinterpret_cast<bf16_t*>(y_out), ra);
            continue;
        }
        if (OUT_MODE == 3) {
            if (gid % 2 == 1) continue;  // the even row of a (gate, up) pair writes it
            reinterpret_cast<float*>(y_out)[(size_t)b * (out_dim / 2) + row / 2] = v / (1.f + __expf(-v)) * partner;
            continue;
        }
        const size_t at = (size_t)b * out_dim + row;
        if (OUT_MODE == 0) reinterpret_cast<bf16_t*>(y_out)[at] = float_to_bf16(v);
        else if (OUT_MODE == 1) reinterpret_cast<float*>(y_out)[at] = v;
        else reinterpret_cast<float*>(y_out)[at] += v;
    }
}

// One loop step of a warp on CUDA cores: lane's UNROLL 16-byte chunks (32 apart, from c0) of
// rows row0..row0+ROWS-1 (rows past the end repeat the last; their sums are never stored).
__device__ __forceinline__ void load_weight_step(const bf16_t* __restrict__ w, int row0, int c0, int out_dim, int chunks, int in_dim,
                                                 uint4 (&wr)[ROWS][UNROLL]) {
    if (c0 + (UNROLL - 1) * 32 < chunks) {  // a whole step: no bounds
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            const uint4* wrow = reinterpret_cast<const uint4*>(w + (size_t)min(row0 + r, out_dim - 1) * in_dim);
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) wr[r][u] = ld_weight(wrow + c0 + u * 32);
        }
        return;
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const uint4* wrow = reinterpret_cast<const uint4*>(w + (size_t)min(row0 + r, out_dim - 1) * in_dim);
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int c = c0 + u * 32;
            wr[r][u] = c < chunks ? ld_weight(wrow + c) : make_uint4(0, 0, 0, 0);
        }
    }
}

extern "C" __global__ void __launch_bounds__(THREADS) linear(
    const bf16_t* __restrict__ w, const void* __restrict__ x, const bf16_t* __restrict__ gamma, void* __restrict__ y_out,
    int out_dim, int in_dim, float eps, bf16_t* k_cache, bf16_t* v_cache, const int* pos, const double* inv_freq, int head_dim,
    int kv_dim, int capacity, int rows_per_seq) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const RopeAppend ra{k_cache, v_cache, pos, inv_freq, head_dim, kv_dim, capacity, rows_per_seq};
    // CUDA cores: the warp's first loop step of weights, loaded before anything else. No kernel
    // writes the weights, so the loads may start before the predecessor ends: launched as a
    // programmatic dependent, they are in flight across the launch boundary.
    const int row0 = (blockIdx.x * WARPS + warp) * ROWS;
    const int chunks = in_dim / 8;  // 16-byte chunks of a weight row
    uint4 first[ROWS][UNROLL];
    if (!MMA && row0 < out_dim) load_weight_step(w, row0, lane, out_dim, chunks, in_dim, first);
    sdec_wait_for_predecessor();
    if (MMA) {
        linear_mma(w, x, gamma, eps, y_out, out_dim, in_dim, ra);
        return;
    }
    if (row0 >= out_dim) return;

    float acc[ROWS][BATCH];
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
#pragma unroll
        for (int b = 0; b < BATCH; ++b) acc[r][b] = 0.f;
    float ss[BATCH];  // IN_MODE 2: this lane's sum of squares of batch row b (the warp sees all of x)
#pragma unroll
    for (int b = 0; b < BATCH; ++b) ss[b] = 0.f;
    auto load_input = [&](int b, int c, float (&xf)[8]) {
        if (IN_MODE == 2) load_x8_unnormed(x, gamma, b, c, in_dim, xf, &ss[b]);
        else load_x8(x, b, c, in_dim, xf);
    };

    // Adds chunk u of every row times the 8 inputs xf of batch row b to acc.
    auto accumulate = [&](const uint4 (&wr)[ROWS][UNROLL], int u, int b, const float (&xf)[8]) {
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            float wf[8];
            unpack8(wr[r][u], wf);
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[r][b] = fmaf(wf[j], xf[j], acc[r][b]);
        }
    };
    // Multiplies one loop step of weights (lane's chunks from c0 on) into acc. A whole step has
    // no bounds inside, so every load of it can be issued before the first product.
    auto multiply = [&](const uint4 (&wr)[ROWS][UNROLL], int c0) {
        if (c0 + (UNROLL - 1) * 32 < chunks) {
            float xf[UNROLL][BATCH][8];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int b = 0; b < BATCH; ++b) load_input(b, c0 + u * 32, xf[u][b]);
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
#pragma unroll
                for (int b = 0; b < BATCH; ++b) accumulate(wr, u, b, xf[u][b]);
            return;
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int c = c0 + u * 32;
            if (c >= chunks) break;
#pragma unroll
            for (int b = 0; b < BATCH; ++b) {
                float xf[8];
                load_input(b, c, xf);
                accumulate(wr, u, b, xf);
            }
        }
    };
    // The first step came before the wait (outside the loop, so its registers are free after it).
    const int step = 32 * UNROLL;
    multiply(first, lane);
    for (int c0 = lane + step; c0 < chunks; c0 += step) {
        uint4 wr[ROWS][UNROLL];
        load_weight_step(w, row0, c0, out_dim, chunks, in_dim, wr);
        multiply(wr, c0);
    }
    // Every weight is read: the next kernel may launch and start its own loads while this CTA
    // reduces and stores (it waits for the stores before it reads them).
    sdec_allow_dependents();
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
#pragma unroll
        for (int b = 0; b < BATCH; ++b) acc[r][b] = warp_sum(acc[r][b]);
    if (IN_MODE == 2) {
#pragma unroll
        for (int b = 0; b < BATCH; ++b) {
            const float inv_rms = rsqrtf(warp_sum(ss[b]) / in_dim + eps);
#pragma unroll
            for (int r = 0; r < ROWS; ++r) acc[r][b] *= inv_rms;
        }
    }

    // Lane (r*BATCH + b) writes row r of batch b (in modes 3 and 4, the pair r, r + 1).
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
#pragma unroll
        for (int b = 0; b < BATCH; ++b) {
            const int row = row0 + r;
            if (lane != (r * BATCH + b) % 32 || row >= out_dim) continue;
            if (OUT_MODE == 4) {
                const bool paired = row < out_dim - ra.kv_dim;
                if (!paired || r % 2 == 0) store_rope_append(acc[r][b], paired ? acc[min(r + 1, ROWS - 1)][b] : 0.f, row, b, out_dim, reinterpret_cast<bf16_t*>(y_out), ra);
                continue;
            }
            if (OUT_MODE == 3) {
                if (r % 2 == 1) continue;
                const float g = acc[r][b], u = acc[r + 1][b];
                reinterpret_cast<float*>(y_out)[(size_t)b * (out_dim / 2) + row / 2] = g / (1.f + __expf(-g)) * u;
                continue;
            }
            const size_t at = (size_t)b * out_dim + row;
            if (OUT_MODE == 0) reinterpret_cast<bf16_t*>(y_out)[at] = float_to_bf16(acc[r][b]);
            else if (OUT_MODE == 1) reinterpret_cast<float*>(y_out)[at] = acc[r][b];
            else reinterpret_cast<float*>(y_out)[at] += acc[r][b];
        }
    }
}
