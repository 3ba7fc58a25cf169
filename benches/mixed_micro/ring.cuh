// What the mixed-layer micro-benchmark's kernels share (run.py and run_attend.py put it before
// each .cu file): mbarrier and cp.async.bulk wrappers, the producer warp that deals units of K/V
// rows to per-warp rings, and the merge of the consumer warps' partials.
#define NEG_INF __int_as_float(0xff800000)
#define LOG2E 1.4426950408889634f

__device__ __forceinline__ unsigned smem_u32(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(unsigned long long* bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_u32(bar)), "r"(count) : "memory");
}
// Arrives and adds `bytes` to the phase's expected transaction count (the copies still to land).
__device__ __forceinline__ void mbar_expect(unsigned long long* bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned long long* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_u32(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, unsigned parity) {
    asm volatile(
        "{\n .reg .pred done;\n"
        "wait_%=:\n mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        " @!done bra wait_%=;\n}" ::"r"(smem_u32(bar)),
        "r"(parity)
        : "memory");
}
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, unsigned bytes, unsigned long long* bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(smem_u32(dst)),
                 "l"(src), "r"(bytes), "r"(smem_u32(bar))
                 : "memory");
}
__device__ __forceinline__ float ex2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// Per-warp rings: W_ consumer warps with SLOTS_ slots each, a slot one unit's K rows then its V
// rows (UNIT_BYTES_ each); "full" counts a slot's bytes in (one arrival, the producer's),
// "empty" its consumer's release.
template <int W_, int SLOTS_>
struct Rings {
    unsigned long long full[W_][SLOTS_], empty[W_][SLOTS_];

    __device__ void init() {  // by one thread, before a barrier
        for (int w = 0; w < W_; ++w)
            for (int s = 0; s < SLOTS_; ++s) {
                mbar_init(&full[w][s], 1);
                mbar_init(&empty[w][s], 1);
            }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    // Unit j goes to warp j % W_, its slot (j / W_) % SLOTS_: the warps' counts differ by one.
    __device__ static int warp_of(int j) { return j % W_; }
    __device__ static int slot_of(int j) { return (j / W_) % SLOTS_; }
    __device__ static unsigned round_of(int j) { return j / (W_ * SLOTS_); }
};

// The producer warp: copies unit j (its first row unit_rows[j], UNIT_BYTES_ of K and of V) into
// its warp's slot once that slot is released. The rows of 32 units are loaded at once, a lane
// each, so the copies do not wait for a load each.
template <int W_, int SLOTS_, int UNIT_BYTES_, int ROW_>
__device__ void produce_units(unsigned char* ring, Rings<W_, SLOTS_>& r, const char* k, const char* v, const int* unit_rows, int units) {
    const int lane = threadIdx.x % 32;
    for (int j0 = 0; j0 < units; j0 += 32) {
        const int mine = j0 + lane < units ? unit_rows[j0 + lane] : 0;
        for (int jj = 0; jj < 32 && j0 + jj < units; ++jj) {
            const int j = j0 + jj, row = __shfl_sync(0xffffffffu, mine, jj);
            if (lane == 0) {
                const int w = r.warp_of(j), s = r.slot_of(j);
                const unsigned round = r.round_of(j);
                if (round > 0) mbar_wait(&r.empty[w][s], (round - 1) & 1);
                mbar_expect(&r.full[w][s], 2 * UNIT_BYTES_);
                unsigned char* slot = ring + (w * SLOTS_ + s) * 2 * UNIT_BYTES_;
                const size_t at = (size_t)row * ROW_;
                bulk_copy(slot, k + at, UNIT_BYTES_, &r.full[w][s]);
                bulk_copy(slot + UNIT_BYTES_, v + at, UNIT_BYTES_, &r.full[w][s]);
            }
            __syncwarp();
        }
    }
}

// The CTA's partial from its W_ warps' (unnormalised output, max, sum) per query head, as the
// gather family writes it: normalised output, log2-sum-exp. Every thread calls it.
template <int W_, int GROUP_, int HEAD_DIM_>
__device__ void write_partial(const float (&acc)[W_][GROUP_][HEAD_DIM_], const float (&m)[W_][GROUP_], const float (&l)[W_][GROUP_],
                              float* __restrict__ o_part, float* __restrict__ lse_part) {
    for (int t = threadIdx.x; t < GROUP_ * HEAD_DIM_; t += blockDim.x) {
        const int g = t / HEAD_DIM_, d = t % HEAD_DIM_;
        float m_all = NEG_INF;
        for (int w = 0; w < W_; ++w) m_all = fmaxf(m_all, m[w][g]);
        float l_all = 0.f, o_all = 0.f;
        for (int w = 0; w < W_; ++w) {
            const float f = m[w][g] == NEG_INF ? 0.f : exp2f(m[w][g] - m_all);
            l_all += l[w][g] * f;
            o_all += acc[w][g][d] * f;
        }
        o_part[((size_t)blockIdx.x * GROUP_ + g) * HEAD_DIM_ + d] = l_all > 0.f ? o_all / l_all : 0.f;
        if (d == 0) lse_part[(size_t)blockIdx.x * GROUP_ + g] = l_all > 0.f ? m_all + log2f(l_all) : NEG_INF;
    }
}
