// Two ways to stream the K/V rows of LycheeDecode's mixed layer (one dense head of 128K tokens
// beside seven heads' lists of 64-token blocks) through an SM, folding every word into one per
// thread so only the reads cost:
//   plain_fold  every thread issues 16-byte loads, UNROLL units a CTA in flight (32 KB a unit);
//   bulk_fold   one producer lane issues cp.async.bulk copies of whole units into a STAGES-deep
//               shared-memory ring (mbarriers, transaction counts); CONSUMERS warps fold them.
// A unit is 64 consecutive rows of one head: 16 KB of K and 16 KB of V. `units` holds each
// unit's first absolute row (head * context + position). CTA c takes units [c * per_cta, ...).
// ring.cuh comes first.
constexpr int UNIT_ROWS = 64, ROW_BYTES = 256, UNIT_BYTES = UNIT_ROWS * ROW_BYTES;

#ifndef UNROLL
#define UNROLL 1
#endif
#ifndef STAGES
#define STAGES 6
#endif
#ifndef CONSUMERS
#define CONSUMERS 4
#endif

extern "C" __global__ void __launch_bounds__(256) plain_fold(
    const uint4* __restrict__ k, const uint4* __restrict__ v, const int* __restrict__ units, int n_units, int per_cta,
    unsigned* __restrict__ sink) {
    constexpr int WORDS = UNIT_BYTES / 16;  // uint4 words of K (and of V) in a unit
    const int begin = blockIdx.x * per_cta, end = min(n_units, begin + per_cta);
    unsigned acc = 0;
    for (int u0 = begin; u0 < end; u0 += UNROLL) {
        uint4 w[UNROLL][2 * WORDS / 256];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const bool in = u0 + u < end;
            const size_t base = in ? (size_t)units[u0 + u] * (ROW_BYTES / 16) : 0;
#pragma unroll
            for (int m = 0; m < WORDS / 256; ++m) {
                const size_t at = base + threadIdx.x + m * 256;
                w[u][2 * m] = in ? k[at] : make_uint4(0, 0, 0, 0);
                w[u][2 * m + 1] = in ? v[at] : make_uint4(0, 0, 0, 0);
            }
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u)
#pragma unroll
            for (int m = 0; m < 2 * WORDS / 256; ++m) acc ^= w[u][m].x ^ w[u][m].y ^ w[u][m].z ^ w[u][m].w;
    }
    sink[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = acc;
}

extern "C" __global__ void __launch_bounds__(32 * (CONSUMERS + 1)) bulk_fold(
    const char* __restrict__ k, const char* __restrict__ v, const int* __restrict__ units, int n_units, int per_cta,
    unsigned* __restrict__ sink) {
    extern __shared__ __align__(128) unsigned char ring[];
    unsigned long long* full = reinterpret_cast<unsigned long long*>(ring + STAGES * 2 * UNIT_BYTES);
    unsigned long long* empty = full + STAGES;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(&full[s], 1);
            mbar_init(&empty[s], CONSUMERS);
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();
    const int begin = blockIdx.x * per_cta, end = min(n_units, begin + per_cta);
    if (warp == 0) {
        if (lane == 0)
            for (int i = begin, j = 0; i < end; ++i, ++j) {
                const int s = j % STAGES, round = j / STAGES;
                if (round > 0) mbar_wait(&empty[s], (round - 1) & 1);
                mbar_expect(&full[s], 2 * UNIT_BYTES);
                const size_t at = (size_t)units[i] * ROW_BYTES;
                bulk_copy(ring + s * 2 * UNIT_BYTES, k + at, UNIT_BYTES, &full[s]);
                bulk_copy(ring + s * 2 * UNIT_BYTES + UNIT_BYTES, v + at, UNIT_BYTES, &full[s]);
            }
        return;
    }
    unsigned acc = 0;
    for (int i = begin, j = 0; i < end; ++i, ++j) {
        const int s = j % STAGES;
        mbar_wait(&full[s], (j / STAGES) & 1);
        const uint4* stage = reinterpret_cast<const uint4*>(ring + s * 2 * UNIT_BYTES);
#pragma unroll 4
        for (int x = threadIdx.x - 32; x < 2 * UNIT_BYTES / 16; x += CONSUMERS * 32) {
            const uint4 q = stage[x];
            acc ^= q.x ^ q.y ^ q.z ^ q.w;
        }
        __syncwarp();
        if (lane == 0) mbar_arrive(&empty[s]);
    }
    sink[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = acc;
}
