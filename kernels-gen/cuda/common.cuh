// ---- common.cuh: helpers shared by every family (no system headers: NVRTC needs none) ----
typedef unsigned short bf16_t;   // raw bfloat16 bits
typedef unsigned int u32;
typedef unsigned long long u64;

#define SDEC_INF __int_as_float(0x7f800000)
#define SDEC_LOG2E 1.4426950408889634f

// Programmatic dependent launch (sm_90): a kernel launched with the PDL attribute may start
// while its predecessor in the stream still runs. It must call sdec_wait_for_predecessor()
// before it reads anything the predecessor wrote or writes anything at all;
// sdec_allow_dependents() lets the next such kernel launch early. Both do nothing on a plain
// launch or before sm_90.
__device__ __forceinline__ void sdec_wait_for_predecessor() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void sdec_allow_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

__device__ __forceinline__ float bf16_to_float(bf16_t v) { return __uint_as_float(((u32)v) << 16); }

// 2^x on the special-function unit alone (exp2f adds a denormal fixup): relative error below
// 2^-22, results under 2^-126 flush to 0, 2^-inf = 0. For softmax weights, which need neither.
__device__ __forceinline__ float exp2_fast(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// Round to nearest even; NaN stays NaN.
__device__ __forceinline__ bf16_t float_to_bf16(float f) {
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16_t)(u >> 16);
}

// IEEE half precision <-> fp32 (round to nearest even; infinities kept): SpecAttn's verify
// logits travel as fp16.
__device__ __forceinline__ unsigned short float_to_f16(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
__device__ __forceinline__ float f16_to_float(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// Eight bf16 packed in 16 bytes -> eight floats.
__device__ __forceinline__ void unpack8(const uint4 v, float out[8]) {
    const u32 w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = __uint_as_float(w[i] << 16);
        out[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Dimensions d0..d0+8 of the group-mean query of KV head `head`: the mean over its GROUP query
// heads of q [..][heads][HEAD_DIM] (LycheeDecode's block scores, TidalDecode's and LFPS's token
// scores).
template <int GROUP_, int HEAD_DIM_>
__device__ __forceinline__ void group_mean_query8(const bf16_t* __restrict__ q, int head, int d0, float (&qbar)[8]) {
#pragma unroll
    for (int j = 0; j < 8; ++j) qbar[j] = 0.f;
    for (int g = 0; g < GROUP_; ++g) {
        float qf[8];
        unpack8(*reinterpret_cast<const uint4*>(q + ((size_t)head * GROUP_ + g) * HEAD_DIM_ + d0), qf);
#pragma unroll
        for (int j = 0; j < 8; ++j) qbar[j] += qf[j];
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) qbar[j] /= GROUP_;
}

// qbar . (8 bf16 of a key), summed over the LANES consecutive lanes that hold one key (every
// lane of the warp must call it).
template <int LANES>
__device__ __forceinline__ float key_dot8(const float (&qbar)[8], const uint4 key8) {
    float kf[8];
    unpack8(key8, kf);
    float dot = 0.f;
#pragma unroll
    for (int e = 0; e < 8; ++e) dot = fmaf(qbar[e], kf[e], dot);
#pragma unroll
    for (int o = LANES / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
    return dot;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Order-preserving map of a float to an unsigned key: a > b  <=>  key(a) > key(b)
// (-0.0 sorts just below +0.0; the reference uses the same map).
__device__ __forceinline__ u32 float_key(float f) {
    u32 u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Exclusive prefix sum over the block (THREADS threads, a multiple of 32); `total` gets the sum.
// `scratch` holds at least 33 words of shared memory. Ends with the block synchronised.
template <int NTHREADS>
__device__ __forceinline__ u32 block_exclusive_scan(u32 v, u32* scratch, u32& total) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    u32 incl = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const u32 n = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += n;
    }
    if (lane == 31) scratch[warp] = incl;
    __syncthreads();
    if (warp == 0) {
        const u32 w = lane < NTHREADS / 32 ? scratch[lane] : 0;
        u32 wincl = w;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const u32 n = __shfl_up_sync(0xffffffffu, wincl, o);
            if (lane >= o) wincl += n;
        }
        if (lane < NTHREADS / 32) scratch[lane] = wincl - w;
        if (lane == 31) scratch[32] = wincl;
    }
    __syncthreads();
    const u32 result = scratch[warp] + incl - v;
    total = scratch[32];
    __syncthreads();
    return result;
}

// Tensor cores (sm_80+): c += a * b for a 16x16 bf16 tile a (row-major fragments), a 16x8 bf16
// tile b and fp32 c; fragment layouts as the PTX ISA gives them for mma.m16n8k16.
__device__ __forceinline__ void mma_bf16(float c[4], const u32 a[4], u32 b0, u32 b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Copies 16 bytes global -> shared without passing registers; `valid` false writes zeros and
// reads nothing.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
    const u32 dst = (u32)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(gmem), "r"(valid ? 16 : 0));
}

// Four 8x8 bf16 matrices from shared memory in mma fragment order: lanes 8i..8i+7 give the row
// addresses of matrix i; `_trans` delivers each transposed.
__device__ __forceinline__ void ldmatrix_x4(u32 (&a)[4], u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3]) : "r"(addr) : "memory");
}
__device__ __forceinline__ void ldmatrix_x4_trans(u32 (&a)[4], u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3]) : "r"(addr) : "memory");
}

// Hopper staging (sm_90): mbarriers and TMA tensor copies. A CUtensorMap is 128 opaque bytes,
// 64-byte aligned, encoded on the host (cuTensorMapEncodeTiled) and passed by value as a
// `const __grid_constant__` kernel parameter, so a captured graph holds it with no upload.
struct __align__(64) TensorMap { unsigned long long words[16]; };

__device__ __forceinline__ u32 smem_addr(const void* p) { return (u32)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(unsigned long long* bar, u32 count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_addr(bar)), "r"(count) : "memory");
}
// Arrives and adds `bytes` to the phase's expected transaction count (the copies still to land).
__device__ __forceinline__ void mbar_arrive_expect(unsigned long long* bar, u32 bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_addr(bar)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned long long* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_addr(bar)) : "memory");
}
// The barrier also waits for this thread's cp.async copies issued so far.
__device__ __forceinline__ void mbar_track_cp_async(unsigned long long* bar) {
    asm volatile("cp.async.mbarrier.arrive.shared::cta.b64 [%0];" ::"r"(smem_addr(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, u32 parity) {
    asm volatile(
        "{\n .reg .pred done;\n"
        "wait_%=:\n mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        " @!done bra wait_%=;\n}" ::"r"(smem_addr(bar)), "r"(parity)
        : "memory");
}
// A 2-D box of `map` at (x, y) (elements, rows; out-of-bounds parts land as zeros) into shared
// memory, counted on `bar`.
__device__ __forceinline__ void tma_load_2d(void* dst, const TensorMap& map, int x, int y, unsigned long long* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];"
        ::"r"(smem_addr(dst)), "l"(reinterpret_cast<unsigned long long>(&map)), "r"(x), "r"(y), "r"(smem_addr(bar))
        : "memory");
}

// Two bf16 (lo = the lower-indexed element), rounded from fp32 to nearest even: one convert
// instruction from sm_80 on (the same bits as float_to_bf16 but for NaN payloads).
__device__ __forceinline__ u32 pack_bf16(float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    u32 packed;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(packed) : "f"(hi), "f"(lo));
    return packed;
#else
    return (u32)float_to_bf16(lo) | ((u32)float_to_bf16(hi) << 16);
#endif
}

// fp32 pair -> bf16 hi pair and the bf16 pair of what hi missed: a softmax weight entering the
// tensor cores as hi + lo keeps ~16 bits, as in fp32 math.
__device__ __forceinline__ void split_bf16(float a, float b, u32& hi, u32& lo) {
    hi = pack_bf16(a, b);
    lo = pack_bf16(a - __uint_as_float(hi << 16), b - __uint_as_float(hi & 0xffff0000u));
}

// Online softmax: the running max moves only when new scores pass it by more than this (log2
// units). The weights then stay below 2^SDEC_RESCALE_SLACK, far inside fp32, and the rescale of
// the accumulators (a multiply per accumulator, a 2^x per row) is skipped on almost every step
// once the first tokens are seen.
#define SDEC_RESCALE_SLACK 8.f

// Merges `n` split-KV partials of one output row by log-sum-exp (log2 domain): columns
// [0, COLS) of a row of DIM, in a CTA of DIM threads (powers of two, DIM >= COLS >= 16, DIM >= 32).
// Partial p holds its log2-sum-exp at lse[p * lse_stride] and its normalised output at
// o[p * o_stride + c] (16-byte aligned). The threads first take the partials in parallel (their
// maximum; their weights, DIM at a time, into shared memory); then DIM / (COLS/4) slices of COLS/4
// threads each read every slice-th partial's columns with 16-byte loads, several in flight, and
// the slices are summed at the end. (One thread per dimension walking the partials one by one made
// a 256-split merge cost 32 us; a CTA per quarter row gives such a merge four times the loads in
// flight.) It is a merge's whole latency after the attention ends, so: each thread's first
// partial and first columns are loaded together at the start, and the maximum and the sum are
// warp reductions with one barrier each (tree reductions over shared memory took 16 barriers;
// a CTA of 16 threads reduces within its half warp). Each thread's first PRE partials' columns
// are loaded then too, so a merge of up to PRE * SLICES partials (128 for a quarter row of 128)
// waits for memory once: LycheeDecode's mixed layers merge ~100 pieces of their dense head,
// which took two more round trips (session 33: their `combine` 3.2 us after `attend` against
// 1.7 us for `full`'s 16 pieces).
// Every thread of the CTA must call it. Returns column threadIdx.x (< COLS) of the merged row;
// *lse_all gets its log2-sum-exp.
template <int DIM, int COLS>
__device__ __forceinline__ float merge_partials(const float* __restrict__ lse, size_t lse_stride, const float* __restrict__ o,
                                                size_t o_stride, int n, float* lse_all) {
    constexpr int LANES = COLS / 4, SLICES = DIM / LANES, WIDTH = DIM < 32 ? DIM : 32, WARPS_ = DIM / WIDTH;
    constexpr unsigned MASK = DIM < 32 ? (1u << DIM) - 1 : 0xffffffffu;
    static_assert(COLS % 4 == 0 && DIM % LANES == 0 && COLS <= DIM && DIM % WIDTH == 0, "columns are read in float4s by COLS/4 lanes");
    __shared__ float weight[DIM];
    __shared__ float warp_max_of[WARPS_], warp_sum_of[WARPS_];
    __shared__ float4 slice_sum[SLICES][LANES];
    const int d = threadIdx.x, slice = d / LANES, lane = d % LANES, warp = d / WIDTH;
    const float4 none = make_float4(0.f, 0.f, 0.f, 0.f);
    constexpr int PRE = 8;
    const float first_lse = d < n ? lse[(size_t)d * lse_stride] : -SDEC_INF;
    float4 first_o[PRE];
#pragma unroll
    for (int i = 0; i < PRE; ++i) {
        const int j = slice + i * SLICES;
        first_o[i] = j < n ? *reinterpret_cast<const float4*>(o + (size_t)j * o_stride + lane * 4) : none;
    }
    float m = first_lse;
    for (int p = d + DIM; p < n; p += DIM) m = fmaxf(m, lse[(size_t)p * lse_stride]);
#pragma unroll
    for (int off = WIDTH / 2; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(MASK, m, off));
    if (d % WIDTH == 0) warp_max_of[warp] = m;
    __syncthreads();
    float m_all = warp_max_of[0];
#pragma unroll
    for (int w = 1; w < WARPS_; ++w) m_all = fmaxf(m_all, warp_max_of[w]);
    float sum = 0.f;
    float4 acc = none;
    if (m_all > -SDEC_INF) {  // uniform across the CTA
        for (int base = 0; base < n; base += DIM) {
            const int p = base + d;
            const float l = base == 0 ? first_lse : p < n ? lse[(size_t)p * lse_stride] : -SDEC_INF;
            const float f = p < n ? exp2f(l - m_all) : 0.f;
            if (base > 0) __syncthreads();  // the previous block's weights are read
            weight[d] = f;
            sum += f;
            __syncthreads();
            const int count = min(DIM, n - base);
            const float* row = o + (size_t)base * o_stride + lane * 4;
            int j = slice;
            if (base == 0) {
#pragma unroll
                for (int i = 0; i < PRE; ++i, j += SLICES) {
                    if (j < count) {
                        const float w = weight[j];
                        acc.x = fmaf(w, first_o[i].x, acc.x);
                        acc.y = fmaf(w, first_o[i].y, acc.y);
                        acc.z = fmaf(w, first_o[i].z, acc.z);
                        acc.w = fmaf(w, first_o[i].w, acc.w);
                    }
                }
            }
#pragma unroll 4
            for (; j < count; j += SLICES) {
                const float4 v = *reinterpret_cast<const float4*>(row + (size_t)j * o_stride);
                const float w = weight[j];
                acc.x = fmaf(w, v.x, acc.x);
                acc.y = fmaf(w, v.y, acc.y);
                acc.z = fmaf(w, v.z, acc.z);
                acc.w = fmaf(w, v.w, acc.w);
            }
        }
    }
    slice_sum[slice][lane] = acc;
#pragma unroll
    for (int off = WIDTH / 2; off > 0; off >>= 1) sum += __shfl_xor_sync(MASK, sum, off);
    if (d % WIDTH == 0) warp_sum_of[warp] = sum;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < WARPS_; ++w) total += warp_sum_of[w];
    float merged = 0.f;
    if (d < COLS) {
#pragma unroll 4
        for (int s = 0; s < SLICES; ++s) merged += reinterpret_cast<const float*>(slice_sum[s])[d];
    }
    *lse_all = total > 0.f ? m_all + log2f(total) : -SDEC_INF;
    return total > 0.f ? merged / total : 0.f;
}
