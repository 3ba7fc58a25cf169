// A decode step's projections (Llama-3.1-8B shapes, batch 1, bf16 weights, fp32 activations)
// two ways, to measure what launch boundaries cost: one kernel per product (launched in a CUDA
// graph), or one persistent kernel for every layer with a grid barrier between products, where
// each warp asks L2 for its rows of the next product before it waits at the barrier.
//
// Per layer, four products (the attention is left out; its output is stood in for by the
// first 4096 values of the qkv product):
//   0  t   = Wqkv · norm(x)            [6144 x 4096]
//   1  x  += Wo · t[0:4096]            [4096 x 4096]
//   2  act = swiglu(Wgu · norm(x))     [28672 x 4096], rows interleaved (gate_j, up_j)
//   3  x  += Wd · act                  [4096 x 14336]
// norm(x) = x / rms(x) (no gain: timing only). Activations are plain loads (L1 serves the warps
// of an SM): in the persistent kernel other SMs wrote them since this SM last read them, and the
// barrier's acquire (ld.acquire.gpu, then bar.sync) is what makes those writes visible here.
// A warp owns ROWS consecutive rows; its lanes stream 16-byte chunks, UNROLL a row in flight,
// and reduce by shuffles.

// bf16_t, unpack8 and warp_sum come from kernels-gen/cuda/common.cuh, which run.py puts first.
constexpr int THREADS = 256, WARPS = THREADS / 32, ROWS = 2, UNROLL = 4;

struct Product {
    const bf16_t* w;
    int out, in, mode;  // mode as the product's number above
};

struct Layer {
    Product p[4];
};

// 1 / rms of x[0:n], by the whole CTA (every CTA computes it: x is 16 KB, in L2).
__device__ float inv_rms(const float* x, int n) {
    __shared__ float part[WARPS];
    float ss = 0.f;
    for (int i = threadIdx.x; i < n / 4; i += THREADS) {
        const float4 v = reinterpret_cast<const float4*>(x)[i];
        ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    ss = warp_sum(ss);
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = ss;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < WARPS; ++w) total += part[w];
    __syncthreads();
    return rsqrtf(total / n + 1e-5f);
}

// One loop step of a warp over rows row0..row0+ROWS-1: lane's UNROLL 16-byte chunks of each row,
// from chunk c0 on (32 apart).
__device__ __forceinline__ void load_step(const Product& p, int row0, int c0, uint4 (&wr)[ROWS][UNROLL]) {
    const int chunks = p.in / 8;
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int c = c0 + u * 32;
            wr[r][u] = c < chunks ? __ldcs(reinterpret_cast<const uint4*>(p.w + (size_t)(row0 + r) * p.in) + c) : make_uint4(0, 0, 0, 0);
        }
}

__device__ __forceinline__ void fma_step(const Product& p, int c0, const uint4 (&wr)[ROWS][UNROLL], const float* in, float s, float (&acc)[ROWS]) {
    const int chunks = p.in / 8;
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
        const int c = c0 + u * 32;
        if (c >= chunks) break;
        const float4 lo = reinterpret_cast<const float4*>(in)[2 * c], hi = reinterpret_cast<const float4*>(in)[2 * c + 1];
        const float xv[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            float wf[8];
            unpack8(wr[r][u], wf);
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[r] = fmaf(wf[j], xv[j] * s, acc[r]);
        }
    }
}

// Rows row0..row0+ROWS-1 of product p, by one warp; `first` holds the warp's first loop step
// when `have_first` (loaded ahead), else it is loaded here. The same arithmetic either way.
__device__ void rows_of(const Product& p, int row0, float* x, float* t, float* act, float scale, uint4 (&first)[ROWS][UNROLL],
                        bool have_first, bool allow_dependents = false) {
    const int lane = threadIdx.x % 32;
    const float* in = p.mode == 0 || p.mode == 2 ? x : p.mode == 1 ? t : act;
    const float s = p.mode == 0 || p.mode == 2 ? scale : 1.f;
    float acc[ROWS] = {};
    const int chunks = p.in / 8;
    if (!have_first) load_step(p, row0, lane, first);
    fma_step(p, lane, first, in, s, acc);
    for (int c0 = lane + 32 * UNROLL; c0 < chunks; c0 += 32 * UNROLL) {
        uint4 wr[ROWS][UNROLL];
        load_step(p, row0, c0, wr);
        fma_step(p, c0, wr, in, s, acc);
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r) acc[r] = warp_sum(acc[r]);
    if (allow_dependents) sdec_allow_dependents();
    if (lane != 0) return;
    if (p.mode == 0) {
        for (int r = 0; r < ROWS; ++r) t[row0 + r] = acc[r];
    } else if (p.mode == 2) {
        const float g = acc[0], u = acc[1];  // ROWS == 2: one (gate, up) pair
        act[row0 / 2] = g / (1.f + __expf(-g)) * u;
    } else {
        for (int r = 0; r < ROWS; ++r) x[row0 + r] += acc[r];
    }
}

__device__ __forceinline__ void rows_of(const Product& p, int row0, float* x, float* t, float* act, float scale) {
    uint4 first[ROWS][UNROLL];
    rows_of(p, row0, x, t, act, scale, first, false);
}

// One product, a warp per ROWS rows (the separate launches).
extern "C" __global__ void __launch_bounds__(THREADS) product(const bf16_t* w, int out, int in, int mode, float* x, float* t, float* act) {
    const Product p{w, out, in, mode};
    const float scale = mode == 0 || mode == 2 ? inv_rms(x, in) : 1.f;
    const int row0 = (blockIdx.x * WARPS + threadIdx.x / 32) * ROWS;
    if (row0 < out) rows_of(p, row0, x, t, act, scale);
}

// One product as a programmatic dependent of the previous one (launched with the PDL attribute):
// each warp loads its first loop step of weights (which no kernel writes) before it waits for
// the predecessor, so those loads are in flight across the launch boundary. `trigger` says when
// the CTA lets the next product launch: 0 at its start, 1 once its rows are computed (before the
// stores), 2 never (the next one launches when this one ends, as a plain launch).
extern "C" __global__ void __launch_bounds__(THREADS) product_pdl(const bf16_t* w, int out, int in, int mode, float* x, float* t, float* act,
                                                                  int trigger) {
    const Product p{w, out, in, mode};
    const int row0 = (blockIdx.x * WARPS + threadIdx.x / 32) * ROWS;
    if (trigger == 0) sdec_allow_dependents();
    uint4 first[ROWS][UNROLL];
    if (row0 < out) load_step(p, row0, threadIdx.x % 32, first);
    sdec_wait_for_predecessor();
    const float scale = mode == 0 || mode == 2 ? inv_rms(x, in) : 1.f;
    if (row0 < out) rows_of(p, row0, x, t, act, scale, first, true, trigger == 1);
}

__device__ __forceinline__ void grid_barrier(unsigned* count, unsigned target) {
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        atomicAdd(count, 1u);
        unsigned seen;
        do {
            asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(count) : "memory");
        } while (seen < target);
    }
    __syncthreads();
}

// Lane 0 of a warp asks L2 for the first WARM_BYTES of each of the first ROWS rows the warp will
// take in product p (about 8 MB over the grid: more would push the lines out before use).
constexpr int WARM_BYTES = 2048;
__device__ __forceinline__ void warm_rows(const Product& p, int gwarp) {
    const int row0 = gwarp * ROWS;
    if (threadIdx.x % 32 != 0 || row0 >= p.out) return;
    for (int r = 0; r < ROWS; ++r)
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p.w + (size_t)(row0 + r) * p.in), "r"(min(p.in * 2, WARM_BYTES)) : "memory");
}

// Every layer's products in one launch of co-resident CTAs, a grid barrier after each product.
// `count` must be 0 at launch. warm: ask L2 for the next product's first rows before each barrier.
extern "C" __global__ void __launch_bounds__(THREADS) layers(const Layer* __restrict__ all, int n_layers, float* x, float* t, float* act,
                                                            unsigned* count, int warm) {
    const int gwarp = blockIdx.x * WARPS + threadIdx.x / 32, warps = gridDim.x * WARPS;
    unsigned barriers = 0;
    for (int l = 0; l < n_layers; ++l)
        for (int k = 0; k < 4; ++k) {
            const Product p = all[l].p[k];
            const float scale = p.mode == 0 || p.mode == 2 ? inv_rms(x, p.in) : 1.f;
            for (int row0 = gwarp * ROWS; row0 < p.out; row0 += warps * ROWS) rows_of(p, row0, x, t, act, scale);
            if (warm && (k < 3 || l + 1 < n_layers)) warm_rows(k < 3 ? all[l].p[k + 1] : all[l + 1].p[0], gwarp);
            grid_barrier(count, ++barriers * gridDim.x);
        }
}

// Every layer's products in one launch, as `layers`, with the rows handed out at run time: a warp
// takes the next ROWS rows of the product from a counter (grab[i], zero at launch; the next
// grab is asked for while the current rows are computed), so SMs that DRAM serves faster take
// more rows and the product's end is not its slowest SM's share. ahead >= 1: before the barrier a
// warp takes its first rows of the next product and loads their first loop step into registers;
// ahead >= 2: also asks L2 for their second step. Those loads are in flight across the barrier
// and the RMSNorm prologue.
extern "C" __global__ void __launch_bounds__(THREADS) layers_dyn(const Layer* __restrict__ all, int n_layers, float* x, float* t,
                                                                float* act, unsigned* count, unsigned* grab, int ahead) {
    const int lane = threadIdx.x % 32, n = n_layers * 4;
    unsigned barriers = 0, g = 0;
    uint4 first[ROWS][UNROLL];
    bool have = false;
    if (lane == 0) g = atomicAdd(&grab[0], 1u);
    g = __shfl_sync(0xffffffffu, g, 0);
    for (int i = 0; i < n; ++i) {
        const Product p = all[i / 4].p[i % 4];
        const float scale = p.mode == 0 || p.mode == 2 ? inv_rms(x, p.in) : 1.f;
        while (g * ROWS < (unsigned)p.out) {
            unsigned next = 0;
            if (lane == 0) next = atomicAdd(&grab[i], 1u);
            rows_of(p, g * ROWS, x, t, act, scale, first, have);
            have = false;
            g = __shfl_sync(0xffffffffu, next, 0);
        }
        if (i + 1 < n) {
            const Product q = all[(i + 1) / 4].p[(i + 1) % 4];
            if (lane == 0) g = atomicAdd(&grab[i + 1], 1u);
            g = __shfl_sync(0xffffffffu, g, 0);
            if (ahead >= 1 && g * ROWS < (unsigned)q.out) {
                load_step(q, g * ROWS, lane, first);
                have = true;
                if (ahead >= 2 && lane < ROWS && q.in * 2 > 2 * WARM_BYTES)
                    asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(q.w + (size_t)(g * ROWS + lane) * q.in + WARM_BYTES / 2),
                                 "r"(WARM_BYTES) : "memory");
            }
        }
        grid_barrier(count, ++barriers * gridDim.x);
    }
}
