// Exact top-k of fp32 rows by radix select. Result: the k indices (ascending) and their values.
// Ties at the k-th value are broken towards the smaller index, so the result is deterministic.
//
// Keys are order-preserving u32 maps of the floats (float_key). Radix digits of DIGIT_BITS from
// the top narrow down the class of the k-th key: the keys whose resolved top bits equal the
// prefix found so far (`Select`). It stops when all digits are resolved, or earlier when the whole
// class is taken. Then every key above the class, and the first `ties` keys of the class in index
// order, are written in index order.
//
// STRATEGY (the kernels it launches):
//   FUSED     `topk_fused`, one CTA per row; a row of at most STAGE_CAP scores is staged in shared
//             memory and read from global memory once.
//   MULTI     CTAS_PER_ROW segments per row, four launches: topk_hist (segment histograms of the
//             top digit, summed in global memory), topk_filter (the top bucket's elements to a
//             scratch list per segment), topk_resolve (one CTA per row finishes the select and
//             plans each segment's output), topk_write.
//   CLUSTER   `topk_cluster`, one launch: a thread-block cluster of CTAS_PER_ROW CTAs per row, the
//             histograms summed in rank 0's shared memory (distributed shared memory). The row is
//             read once when a sampled lower bound of the k-th key holds (the usual case), else
//             twice (histogram, then filter); candidates stay in shared memory.
//   RESIDENT  `topk_resident`, one CTA per row holding the row in registers (n <= THREADS * ITEMS).
// Every source declares all seven kernels, but only its strategy's have bodies (`if constexpr`):
// the others are empty stubs, so NVRTC optimises a quarter of the code (compile time per
// configuration 0.67 s before, most of a tuning run's compiling; session 17).

enum : int { FUSED = 0, MULTI = 1, CLUSTER = 2, RESIDENT = 3 };

constexpr int NBINS = 1 << DIGIT_BITS;
constexpr int ROUNDS = (32 + DIGIT_BITS - 1) / DIGIT_BITS;  // digits per key
constexpr int STAGE_CAP = 8192;  // scores (or candidates) a fused CTA keeps in shared memory (32 KB)
constexpr int SAMPLE = 2048;     // scores a cluster samples per row for its lower bound
constexpr int PREFETCH_TILES = 2;  // tiles a cluster CTA prefetches to L2 before it samples
constexpr int PREFETCH_AHEAD = 2;  // a scan prefetches to L2 this many tiles past the one it loads
constexpr int TILE = THREADS * ITEMS;  // elements a CTA takes per step, ITEMS consecutive per thread
constexpr int WARPS = THREADS / 32;
constexpr int CLUSTER_CTAS = STRATEGY == CLUSTER ? CTAS_PER_ROW : 1;

// Digit d of keys with `top` significant bits (32: whole keys; fewer: offsets from a lower bound)
// covers bits [digit_shift(d), digit_shift(d) + digit_width(d)), counted from the top.
__device__ __forceinline__ int digit_shift(int d, int top = 32) { return max(0, top - (d + 1) * DIGIT_BITS); }
__device__ __forceinline__ int digit_width(int d, int top = 32) { return top - d * DIGIT_BITS - digit_shift(d, top); }
__device__ __forceinline__ int digit_count(int top = 32) { return (top + DIGIT_BITS - 1) / DIGIT_BITS; }
__device__ __forceinline__ u32 digit_of(u32 key, int d, int top = 32) {
    return (key >> digit_shift(d, top)) & ((1u << digit_width(d, top)) - 1);
}

__device__ __forceinline__ float key_to_float(u32 key) {
    return __uint_as_float((key & 0x80000000u) ? (key ^ 0x80000000u) : ~key);
}

// Where the select of one row stands: the class of the k-th largest key is the keys whose bits
// under `mask` equal `prefix`; it is the `k_rem`-th largest of the `size` keys of its class.
struct Select {
    u32 prefix, mask, k_rem, size;
    bool resolved;  // every digit is resolved, or the whole class is taken (k_rem == size)
    __device__ bool in_class(u32 key) const { return (key & mask) == prefix; }
    __device__ bool above(u32 key) const { return (key & mask) > prefix; }
};

__device__ __forceinline__ Select select_start(u32 k, u32 n) { return Select{0u, 0u, k, n, false}; }

// The start over `n` keys below 2^top: the bits above `top` are resolved (zero). top == 0: every
// key is 0, one class, resolved.
__device__ __forceinline__ Select select_start_below(u32 k, u32 n, int top) {
    return Select{0u, top >= 32 ? 0u : ~0u << top, k, n, top == 0};
}

// The bucket of one digit's histogram that holds the k_rem-th largest key.
struct Pick {
    u32 bucket, k_rem, count;
};

__device__ __forceinline__ Select narrow(Select s, int d, const Pick& p, int top = 32) {
    s.prefix |= p.bucket << digit_shift(d, top);
    s.mask |= ((1u << digit_width(d, top)) - 1) << digit_shift(d, top);
    s.k_rem = p.k_rem;
    s.size = p.count;
    s.resolved = d == digit_count(top) - 1 || p.k_rem == p.count;
    return s;
}

// Adds one to hist[bin]. With AGGREGATE, lanes of a warp with the same bin add together
// (scores pile into few buckets and same-address shared atomics serialise; the match costs too,
// so the tuner decides).
__device__ __forceinline__ void hist_add(u32* hist, u32 bin) {
    if (AGGREGATE) {
        const u32 peers = __match_any_sync(__activemask(), bin);
        if ((threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], __popc(peers));
    } else {
        atomicAdd(&hist[bin], 1u);
    }
}

// Exclusive prefix sum over the lanes of a warp; `total` gets the warp's sum.
__device__ __forceinline__ u32 warp_exclusive_scan(u32 v, u32& total) {
    const int lane = threadIdx.x & 31;
    u32 incl = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const u32 n = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += n;
    }
    total = __shfl_sync(0xffffffffu, incl, 31);
    return incl - v;
}

// Exclusive prefix sum over the block with a single barrier; `total` gets the block's sum.
// `wsum` holds WARPS values; the caller synchronises before `wsum` is written again.
template <class T>
__device__ __forceinline__ T scan_block(T v, T* wsum, T& total) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    T incl = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const T up = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += up;
    }
    if (lane == 31) wsum[warp] = incl;
    __syncthreads();
    T before = 0;
    if constexpr (sizeof(T) == 4) {
        // Lane w holds warp w's sum: two warp reductions instead of a loop over the warps.
        const T w = lane < WARPS ? wsum[lane] : T(0);
        before = __reduce_add_sync(0xffffffffu, lane < warp ? w : T(0));
        total = __reduce_add_sync(0xffffffffu, w);
    } else {
        total = 0;
        for (int w = 0; w < WARPS; ++w) {
            const T t = wsum[w];
            before += w < warp ? t : T(0);
            total += t;
        }
    }
    return before + incl - v;
}

// The bucket of `hist` (NBINS counts; may be another CTA's shared memory) holding the k_rem-th
// largest key, the rank left within it and its count. Thread t holds a run of buckets from the top,
// one block scan orders the runs. Every thread gets the result; `out` is where it is shared.
__device__ Pick pick_bucket(const u32* hist, u32 k_rem, u32* wsum, Pick* out) {
    constexpr int PER = NBINS >= THREADS ? NBINS / THREADS : 1;
    const int hi = NBINS - 1 - (int)threadIdx.x * PER;
    u32 c[PER], mine = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) {
        c[j] = hi - j >= 0 ? hist[hi - j] : 0u;
        mine += c[j];
    }
    u32 total;
    const u32 above = scan_block<u32>(mine, wsum, total);
    if (above < k_rem && k_rem <= above + mine) {
        u32 seen = above;
#pragma unroll
        for (int j = 0; j < PER; ++j) {
            if (seen < k_rem && seen + c[j] >= k_rem) *out = Pick{(u32)(hi - j), k_rem - seen, c[j]};
            seen += c[j];
        }
    }
    __syncthreads();
    return *out;
}

// The select loop shared by every strategy: digits [d, d_end) while the class is not resolved.
// `count(d, s)` adds to `hist` (zeroed here) digit d of every key of the class of `s`.
template <class Count>
__device__ Select select_digits(int d, int d_end, Select s, u32* hist, u32* wsum, Pick* pick, Count count) {
    for (; d < d_end && !s.resolved; ++d) {
        for (int b = threadIdx.x; b < NBINS; b += THREADS) hist[b] = 0;
        __syncthreads();
        count(d, s);
        __syncthreads();
        s = narrow(s, d, pick_bucket(hist, s.k_rem, wsum, pick));
    }
    return s;
}

// The select over keys the block holds in registers, PER per thread (key[j] counts where bit j of
// `valid` is set): two histograms of `hists` alternate, the block picks, three barriers per
// digit. The cluster's sample select uses it; RESIDENT has select_grouped.
template <int PER>
__device__ Select select_held(const u32 (&key)[PER], u32 valid, u32 k, u32 n, u32* hists, u32* wsum, Pick* pick) {
    for (int b = threadIdx.x; b < 2 * NBINS; b += THREADS) hists[b] = 0;
    __syncthreads();
    Select s = select_start(k, n);
    for (int d = 0; d < ROUNDS && !s.resolved; ++d) {
        u32* hist = hists + (d % 2) * NBINS;
        // Read by digit d - 1's pick, whose barriers every thread has passed; counted into at d + 1.
        u32* next = hists + ((d + 1) % 2) * NBINS;
        for (int b = threadIdx.x; b < NBINS; b += THREADS) next[b] = 0;
#pragma unroll
        for (int j = 0; j < PER; ++j)
            if (((valid >> j) & 1u) && s.in_class(key[j])) hist_add(hist, digit_of(key[j], d));
        __syncthreads();
        s = narrow(s, d, pick_bucket(hist, s.k_rem, wsum, pick));
    }
    return s;
}

// ITEMS consecutive keys from `first` (zeros past `end`), with 16-byte loads when aligned.
// `load_raw` leaves the float bits (past `end`: all ones, whose key is 0) and `key_of` maps
// them: a scan converts a tile only when it takes it, so its load stays in flight meanwhile.
struct GlobalRow {
    const float* __restrict__ row;
    // Asks L2 for the line holding `at` (one thread per 128-byte line): more bytes in flight per
    // SM than the registers of one tile ahead hold, so a scan streams at the memory's rate.
    __device__ __forceinline__ void prefetch(int at, int end) const {
        if (at < end && (threadIdx.x % (32 / ITEMS)) == 0) asm volatile("prefetch.global.L2 [%0];" :: "l"(row + at));
    }
    __device__ __forceinline__ void load_raw(int first, int end, u32 (&raw)[ITEMS]) const {
        if (ITEMS % 4 == 0 && first + ITEMS <= end && ((size_t)(row + first) & 15) == 0) {
#pragma unroll
            for (int j = 0; j < ITEMS; j += 4) {
                const uint4 f = *reinterpret_cast<const uint4*>(row + first + j);
                raw[j] = f.x; raw[j + 1] = f.y; raw[j + 2] = f.z; raw[j + 3] = f.w;
            }
        } else {
#pragma unroll
            for (int j = 0; j < ITEMS; ++j) raw[j] = first + j < end ? __float_as_uint(row[first + j]) : ~0u;
        }
    }
    __device__ __forceinline__ static u32 key_of(u32 raw) { return float_key(__uint_as_float(raw)); }
    __device__ __forceinline__ void load(int first, int end, u32 (&key)[ITEMS]) const {
        load_raw(first, end, key);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) key[j] = key_of(key[j]);
    }
};

// The same from keys staged in shared memory.
struct StagedRow {
    const u32* keys;
    __device__ __forceinline__ void prefetch(int, int) const {}
    __device__ __forceinline__ void load_raw(int first, int end, u32 (&key)[ITEMS]) const {
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) key[j] = first + j < end ? keys[first + j] : 0u;
    }
    __device__ __forceinline__ static u32 key_of(u32 key) { return key; }
    __device__ __forceinline__ void load(int first, int end, u32 (&key)[ITEMS]) const { load_raw(first, end, key); }
};

// visit(first, key) for each tile of [begin, end): ITEMS consecutive keys from `first` per thread
// (the caller checks `first + j < end`), the next tile's load in flight meanwhile. Every thread
// visits every tile, so `visit` may use warp collectives.
template <class Row, class Visit>
__device__ __forceinline__ void for_each_tile(const Row& row, int begin, int end, Visit visit) {
    u32 key[ITEMS], next[ITEMS];
    row.load_raw(begin + threadIdx.x * ITEMS, end, next);
    for (int tile = begin; tile < end; tile += TILE) {
        const int first = tile + threadIdx.x * ITEMS;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) key[j] = Row::key_of(next[j]);
        if (tile + TILE < end) row.load_raw(first + TILE, end, next);
        row.prefetch(first + (1 + PREFETCH_AHEAD) * TILE, end);
        visit(first, key);
    }
}

// Histogram of digit d over the keys of [begin, end) in the class of `s`.
template <class Row>
__device__ void count_digit(const Row& row, int begin, int end, const Select& s, int d, u32* hist) {
    for_each_tile(row, begin, end, [&](int first, const u32 (&key)[ITEMS]) {
#pragma unroll
        for (int j = 0; j < ITEMS; ++j)
            if (first + j < end && s.in_class(key[j])) hist_add(hist, digit_of(key[j], d));
    });
}

// Appends the keys of [begin, end) that `take(key, at)` accepts (`at`: the position from `begin`)
// to keys[] (and their positions to pos[] when given), in any order, one shared atomic per warp
// and tile. `found` counts every taken key, also those past `cap` (which are dropped).
template <class Row, class Take>
__device__ void append_taken(const Row& row, int begin, int end, Take take, u32* keys, u32* pos, u32 cap, u32* found) {
    const int lane = threadIdx.x & 31;
    const u32 lanes_below = (1u << lane) - 1;
    for_each_tile(row, begin, end, [&](int first, const u32 (&key)[ITEMS]) {
        u32 ballot[ITEMS], total = 0;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            ballot[j] = __ballot_sync(0xffffffffu, first + j < end && take(key[j], (u32)(first - begin + j)));
            total += __popc(ballot[j]);
        }
        u32 at = 0;
        if (lane == 0 && total) at = atomicAdd(found, total);
        at = __shfl_sync(0xffffffffu, at, 0);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            if ((ballot[j] >> lane) & 1u) {
                const u32 slot = at + __popc(ballot[j] & lanes_below);
                if (slot < cap) {
                    keys[slot] = key[j];
                    if (pos) pos[slot] = first - begin + j;
                }
            }
            at += __popc(ballot[j]);
        }
    });
}

// Writes the selected elements of [begin, end) in index order from `out`: every key above the
// class (prefix, mask), and the first `ties` keys of the class counting `ties_before` such keys
// before `begin`. Each warp owns a contiguous run: it counts its run, two block scans give every
// warp its output offset and its ties before, then it writes its run in order with warp scans
// only (no block barrier per tile).
template <class Row>
__device__ void write_selected(const Row& row, int begin, int end, u32 prefix, u32 mask, u32 ties_before, u32 ties,
                               int* __restrict__ out_idx, float* __restrict__ out_val, u32* scratch) {
    constexpr int STEP = 32 * ITEMS;  // elements a warp takes per step
    const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
    const int per_warp = ((end - begin + WARPS - 1) / WARPS + STEP - 1) / STEP * STEP;
    const int run_begin = min(end, begin + warp * per_warp), run_end = min(end, run_begin + per_warp);

    u32 gt = 0, eq = 0;
    for (int base = run_begin; base < run_end; base += STEP) {
        const int first = base + lane * ITEMS;
        u32 key[ITEMS];
        row.load(first, run_end, key);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 masked = key[j] & mask;
            if (first + j < run_end) { gt += masked > prefix; eq += masked == prefix; }
        }
    }
    gt = __reduce_add_sync(0xffffffffu, gt);
    eq = __reduce_add_sync(0xffffffffu, eq);
    u32 total;
    const u32 eq_before = ties_before + __shfl_sync(0xffffffffu, block_exclusive_scan<THREADS>(lane == 0 ? eq : 0, scratch, total), 0);
    const u32 taken = eq_before >= ties ? 0 : min(eq, ties - eq_before);
    u32 written = __shfl_sync(0xffffffffu, block_exclusive_scan<THREADS>(lane == 0 ? gt + taken : 0, scratch, total), 0);

    u32 ties_seen = eq_before;
    for (int base = run_begin; base < run_end; base += STEP) {
        const int first = base + lane * ITEMS;
        u32 key[ITEMS];
        row.load(first, run_end, key);
        u32 gt_bits = 0, eq_bits = 0;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 masked = key[j] & mask;
            if (first + j < run_end) { gt_bits |= (u32)(masked > prefix) << j; eq_bits |= (u32)(masked == prefix) << j; }
        }
        u32 eq_step;
        u32 rank = ties_seen + warp_exclusive_scan(__popc(eq_bits), eq_step);
        u32 sel = gt_bits;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j)
            if ((eq_bits >> j) & 1u) { if (rank < ties) sel |= 1u << j; ++rank; }
        u32 sel_step;
        u32 pos = written + warp_exclusive_scan(__popc(sel), sel_step);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j)
            if ((sel >> j) & 1u) { out_idx[pos] = first + j; out_val[pos] = key_to_float(key[j]); ++pos; }
        written += sel_step;
        ties_seen += eq_step;
    }
}

// ---- FUSED: one CTA per row ----

// A row too long to stage: after the top digit, the keys of its class (the candidates) are
// appended to shared memory when they fit, so the lower digits never reread the row. Two passes
// over the row (histogram, filter) plus the write, instead of one per digit plus the write.
__device__ Select select_long_row(const GlobalRow& row, int n, int k, u32* hist, u32* stage, u32* count, u32* wsum, Pick* pick) {
    if (threadIdx.x == 0) *count = 0;
    auto count_row = [&](int d, const Select& s) { count_digit(row, 0, n, s, d, hist); };
    Select s = select_digits(0, 1, select_start(k, n), hist, wsum, pick, count_row);
    if (s.resolved) return s;
    if (s.size > STAGE_CAP) return select_digits(1, ROUNDS, s, hist, wsum, pick, count_row);  // e.g. massive ties
    append_taken(row, 0, n, [&](u32 key, u32) { return s.in_class(key); }, stage, (u32*)nullptr, STAGE_CAP, count);
    __syncthreads();
    const int found = (int)*count;
    return select_digits(1, ROUNDS, s, hist, wsum, pick, [&](int d, const Select& c) { count_digit(StagedRow{stage}, 0, found, c, d, hist); });
}

extern "C" __global__ void __launch_bounds__(THREADS) topk_fused(
    const float* __restrict__ scores, int n, int k, int* __restrict__ out_idx, float* __restrict__ out_val) {
    if constexpr (STRATEGY == FUSED) {  // else an empty stub (see the top)
    __shared__ u32 hist[NBINS];
    __shared__ u32 wsum[WARPS];
    __shared__ u32 scratch[33];
    __shared__ u32 stage[STAGE_CAP];
    __shared__ u32 count;
    __shared__ Pick pick;
    const GlobalRow row{scores + (size_t)blockIdx.x * n};
    out_idx += (size_t)blockIdx.x * k;
    out_val += (size_t)blockIdx.x * k;
    if (n <= STAGE_CAP) {
        for (int tile = 0; tile < n; tile += TILE) {
            const int first = tile + threadIdx.x * ITEMS;
            u32 key[ITEMS];
            row.load(first, n, key);
#pragma unroll
            for (int j = 0; j < ITEMS; ++j)
                if (first + j < n) stage[first + j] = key[j];
        }
        __syncthreads();
        const StagedRow staged{stage};
        const Select s = select_digits(0, ROUNDS, select_start(k, n), hist, wsum, &pick,
                                       [&](int d, const Select& c) { count_digit(staged, 0, n, c, d, hist); });
        write_selected(staged, 0, n, s.prefix, s.mask, 0, s.k_rem, out_idx, out_val, scratch);
    } else {
        const Select s = select_long_row(row, n, k, hist, stage, &count, wsum, &pick);
        write_selected(row, 0, n, s.prefix, s.mask, 0, s.k_rem, out_idx, out_val, scratch);
    }
    }
}

// ---- MULTI: several CTAs per row, grid (CTAS_PER_ROW, rows), four launches ----

struct RowState {   // the select's result for one row
    u32 prefix;     // the class of the k-th largest key: keys whose bits under `mask` equal `prefix`
    u32 mask;
    u32 ties;       // how many keys of the class are taken
};

// Segment length, a multiple of 4 so that segments start 16-byte aligned.
__device__ __forceinline__ int segment_len(int n) { return ((n + CTAS_PER_ROW - 1) / CTAS_PER_ROW + 3) / 4 * 4; }

__device__ __forceinline__ void segment_of(int n, int& begin, int& end) {
    const int len = segment_len(n);
    begin = min(n, blockIdx.x * len);
    end = min(n, begin + len);
}

// hist: [rows][NBINS], zero on entry (allocated zeroed; topk_resolve clears it after use).
extern "C" __global__ void __launch_bounds__(THREADS) topk_hist(
    const float* __restrict__ scores, int n, u32* __restrict__ hist) {
    if constexpr (STRATEGY == MULTI) {  // else an empty stub (see the top)
    __shared__ u32 local[NBINS];
    for (int b = threadIdx.x; b < NBINS; b += THREADS) local[b] = 0;
    __syncthreads();
    int begin, end;
    segment_of(n, begin, end);
    count_digit(GlobalRow{scores + (size_t)blockIdx.y * n}, begin, end, select_start(0, n), 0, local);
    __syncthreads();
    u32* global = hist + (size_t)blockIdx.y * NBINS;
    for (int b = threadIdx.x; b < NBINS; b += THREADS)
        if (local[b]) atomicAdd(&global[b], local[b]);
    }
}

// The select after the top digit, from the row's global histogram; every CTA of the row derives
// the same.
__device__ Select top_bucket(const u32* __restrict__ hist_row, int n, int k, u32* sm_hist, u32* wsum, Pick* pick) {
    for (int b = threadIdx.x; b < NBINS; b += THREADS) sm_hist[b] = hist_row[b];
    __syncthreads();
    return narrow(select_start(k, n), 0, pick_bucket(sm_hist, k, wsum, pick));
}

// cand_key: [rows][n] (segment s writes from its own begin); seg_counts: [rows][CTAS][2]
// = {elements above the top bucket, candidates}.
extern "C" __global__ void __launch_bounds__(THREADS) topk_filter(
    const float* __restrict__ scores, int n, int k, const u32* __restrict__ hist,
    u32* __restrict__ cand_key, u32* __restrict__ seg_counts) {
    if constexpr (STRATEGY == MULTI) {  // else an empty stub (see the top)
    __shared__ u32 sm_hist[NBINS];
    __shared__ u32 wsum[WARPS];
    __shared__ Pick pick;
    __shared__ u32 found;
    if (threadIdx.x == 0) found = 0;
    const Select top = top_bucket(hist + (size_t)blockIdx.y * NBINS, n, k, sm_hist, wsum, &pick);
    int begin, end;
    segment_of(n, begin, end);
    const GlobalRow row{scores + (size_t)blockIdx.y * n};
    // Candidates are appended in any order: the resolve step only counts them per segment.
    u32 above = 0;
    append_taken(row, begin, end, [&](u32 key, u32) { above += top.above(key); return top.in_class(key); },
                 cand_key + (size_t)blockIdx.y * n + begin, (u32*)nullptr, (u32)(end - begin), &found);
    u32 total_above;
    __syncthreads();  // `found` is complete; wsum is free
    scan_block<u32>(above, wsum, total_above);
    if (threadIdx.x == 0) {
        u32* counts = seg_counts + ((size_t)blockIdx.y * CTAS_PER_ROW + blockIdx.x) * 2;
        counts[0] = total_above;
        counts[1] = found;
    }
    }
}

// grid: rows. Finishes the select on the candidates (staged in shared memory when they fit);
// writes the row state and, per segment, {output offset, ties before it} into seg_plan
// [rows][CTAS][2].
extern "C" __global__ void __launch_bounds__(THREADS) topk_resolve(
    int n, int k, u32* __restrict__ hist, const u32* __restrict__ cand_key,
    const u32* __restrict__ seg_counts, RowState* __restrict__ state, u32* __restrict__ seg_plan) {
    if constexpr (STRATEGY == MULTI) {  // else an empty stub (see the top)
    __shared__ u32 sm_hist[NBINS];
    __shared__ u32 wsum[WARPS];
    __shared__ Pick pick;
    __shared__ u32 stage[STAGE_CAP];
    __shared__ u32 seg_start[CTAS_PER_ROW + 1];          // candidate offsets of the segments
    __shared__ u32 seg_gt[CTAS_PER_ROW], seg_eq[CTAS_PER_ROW];
    const int r = blockIdx.x;
    Select s = top_bucket(hist + (size_t)r * NBINS, n, k, sm_hist, wsum, &pick);
    // Every CTA of this row has read the histogram (stream order): clear it for the next call.
    for (int b = threadIdx.x; b < NBINS; b += THREADS) hist[(size_t)r * NBINS + b] = 0;
    const int len = segment_len(n);
    const u32* counts = seg_counts + (size_t)r * CTAS_PER_ROW * 2;
    const u32* keys = cand_key + (size_t)r * n;
    if (threadIdx.x == 0) {
        u32 at = 0;
        for (int seg = 0; seg < CTAS_PER_ROW; ++seg) { seg_start[seg] = at; at += counts[2 * seg + 1]; }
        seg_start[CTAS_PER_ROW] = at;
    }
    for (int seg = threadIdx.x; seg < CTAS_PER_ROW; seg += THREADS) { seg_gt[seg] = 0; seg_eq[seg] = 0; }
    __syncthreads();
    const bool staged = seg_start[CTAS_PER_ROW] <= STAGE_CAP;
    if (staged) {
        for (int seg = 0; seg < CTAS_PER_ROW; ++seg) {
            const u32 found = seg_start[seg + 1] - seg_start[seg];
#pragma unroll 4
            for (u32 j = threadIdx.x; j < found; j += THREADS) stage[seg_start[seg] + j] = keys[(size_t)seg * len + j];
        }
        __syncthreads();
    }
    auto candidate = [&](int seg, u32 j) { return staged ? stage[seg_start[seg] + j] : keys[(size_t)seg * len + j]; };

    s = select_digits(1, ROUNDS, s, sm_hist, wsum, &pick, [&](int d, const Select& c) {
        for (int seg = 0; seg < CTAS_PER_ROW; ++seg) {
            const u32 found = seg_start[seg + 1] - seg_start[seg];
#pragma unroll 4
            for (u32 j = threadIdx.x; j < found; j += THREADS) {
                const u32 key = candidate(seg, j);
                if (c.in_class(key)) hist_add(sm_hist, digit_of(key, d));
            }
        }
    });
    const u32 ties = s.k_rem;
    // Per segment: candidates above the class join the elements above the top bucket; ties are
    // taken in segment order until `ties` are used. Warp sums, then one shared atomic per warp.
    for (int seg = 0; seg < CTAS_PER_ROW; ++seg) {
        const u32 found = seg_start[seg + 1] - seg_start[seg];
        u32 gt = 0, eq = 0;
#pragma unroll 4
        for (u32 j = threadIdx.x; j < found; j += THREADS) {
            const u32 key = candidate(seg, j);
            gt += s.above(key);
            eq += s.in_class(key);
        }
        gt = __reduce_add_sync(0xffffffffu, gt);
        eq = __reduce_add_sync(0xffffffffu, eq);
        if ((threadIdx.x & 31) == 0 && (gt | eq)) { atomicAdd(&seg_gt[seg], gt); atomicAdd(&seg_eq[seg], eq); }
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        u32 offset = 0, ties_before = 0;
        for (int seg = 0; seg < CTAS_PER_ROW; ++seg) {
            seg_plan[((size_t)r * CTAS_PER_ROW + seg) * 2] = offset;
            seg_plan[((size_t)r * CTAS_PER_ROW + seg) * 2 + 1] = ties_before;
            const u32 taken = ties_before >= ties ? 0 : min(seg_eq[seg], ties - ties_before);
            offset += counts[2 * seg] + seg_gt[seg] + taken;
            ties_before += seg_eq[seg];
        }
        state[r] = RowState{s.prefix, s.mask, ties};
    }
    }
}

extern "C" __global__ void __launch_bounds__(THREADS) topk_write(
    const float* __restrict__ scores, int n, int k, const RowState* __restrict__ state,
    const u32* __restrict__ seg_plan, int* __restrict__ out_idx, float* __restrict__ out_val) {
    if constexpr (STRATEGY == MULTI) {  // else an empty stub (see the top)
    __shared__ u32 scratch[33];
    int begin, end;
    segment_of(n, begin, end);
    const RowState st = state[blockIdx.y];
    const u32* plan = seg_plan + ((size_t)blockIdx.y * CTAS_PER_ROW + blockIdx.x) * 2;
    const u32 offset = plan[0];
    write_selected(GlobalRow{scores + (size_t)blockIdx.y * n}, begin, end, st.prefix, st.mask, plan[1], st.ties,
                   out_idx + (size_t)blockIdx.y * k + offset, out_val + (size_t)blockIdx.y * k + offset, scratch);
    }
}

// ---- RESIDENT: one CTA per row, the row in registers (ITEMS consecutive keys per thread) ----
//
// Before the digits, a lower bound of the k-th key: each warp takes the c-th largest of its lanes'
// maxima, c = ceil(k / WARPS), so it holds at least c keys at or above it, and the row at least k
// keys at or above the least of these bounds. The digits then run over the keys above that bound
// only (6% of the row for 64 of 2048), as offsets from it: their span is a few bits, so one digit
// usually resolves the class where whole keys took two or three.

// The c-th largest of the lanes' maxima over the warp's valid keys (0 when fewer than c lanes
// hold one: the bound then takes every key), and the warp's largest key.
template <int PER>
__device__ void warp_bound(const u32 (&key)[PER], u32 valid, u32 c, u32& bound, u32& high) {
    u32 top = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) if ((valid >> j) & 1u) top = max(top, key[j]);
    bool live = valid != 0;
    u32 seen = 0;
    bound = 0;
    high = __reduce_max_sync(0xffffffffu, top);
    for (u32 m = high;; m = __reduce_max_sync(0xffffffffu, live ? top : 0u)) {
        const u32 hits = __ballot_sync(0xffffffffu, live && top == m);
        if (!hits) return;
        seen += __popc(hits);
        if (seen >= c) { bound = m; return; }
        live = live && top != m;
    }
}

// The resident select runs on grouped histograms: NBINS bucket counts followed by GROUPS counts
// of 32 buckets each. Every warp finds the bucket of the k_rem-th key on its own in two steps (its
// group, then the bucket in the group), reading GROUPS + 32 words: no block scan and no barrier
// for the pick, one barrier per digit. (H100, [64 x 2048] k = 64: the block pick, two barriers
// and a block scan, took a fifth of the kernel's cycles; kernels.md "Session 13".)
constexpr int GROUPS = NBINS / 32;
constexpr int GROUPED_WORDS = NBINS + GROUPS;

// Zeroes WORDS words of shared memory, each thread a fixed set (no loop bookkeeping).
template <int WORDS>
__device__ __forceinline__ void clear_words(u32* words) {
#pragma unroll
    for (int i = 0; i < (WORDS + THREADS - 1) / THREADS; ++i) {
        const int at = (int)threadIdx.x + i * THREADS;
        if (WORDS % THREADS == 0 || at < WORDS) words[at] = 0;
    }
}

__device__ __forceinline__ void grouped_add(u32* hist, u32 bin) {
    atomicAdd(&hist[bin], 1u);
    atomicAdd(&hist[NBINS + bin / 32], 1u);
}

// Lane l holds `mine`, the count of its run of values (runs ordered from the top by lane). The
// lane whose run holds the k_rem-th value, and the sum of the runs above it.
__device__ __forceinline__ int run_owner(u32 mine, u32 above, u32 k_rem) {
    return __ffs(__ballot_sync(0xffffffffu, above < k_rem && k_rem <= above + mine)) - 1;
}

// The bucket of a grouped histogram holding the k_rem-th largest key; every lane gets it.
__device__ Pick pick_bucket_grouped(const u32* hist, u32 k_rem) {
    constexpr int PER = GROUPS > 32 ? GROUPS / 32 : 1;  // groups per lane, from the top
    const int lane = threadIdx.x & 31;
    const int hi = GROUPS - 1 - lane * PER;
    u32 c[PER], mine = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) {
        c[j] = hi - j >= 0 ? hist[NBINS + hi - j] : 0u;
        mine += c[j];
    }
    u32 total;
    const u32 above = warp_exclusive_scan(mine, total);
    // The group within this lane's run that would hold it (right in the owner lane).
    int group = hi;
    u32 before = above;
#pragma unroll
    for (int j = 0; j + 1 < PER; ++j)
        if (before + c[j] < k_rem) { before += c[j]; group = hi - j - 1; }
    const int owner = run_owner(mine, above, k_rem);
    group = __shfl_sync(0xffffffffu, group, owner);
    before = __shfl_sync(0xffffffffu, before, owner);
    // The bucket within the group: lane l holds bucket 31 - l of it.
    const u32 bucket = (u32)group * 32 + 31 - lane;
    const u32 count = hist[bucket];
    const u32 in_above = before + warp_exclusive_scan(count, total);
    const int at = run_owner(count, in_above, k_rem);
    return Pick{__shfl_sync(0xffffffffu, bucket, at), k_rem - __shfl_sync(0xffffffffu, in_above, at),
                __shfl_sync(0xffffffffu, count, at)};
}

// Bits of an element's place in a resident row (n <= THREADS * ITEMS).
constexpr int bits_below(int n) {
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    return bits;
}
constexpr int PLACE_BITS = bits_below(THREADS * ITEMS);

// A key of a digit-0 bucket as one word that orders the bucket's keys by rank: its bits below
// digit 0 (`shift` of them) above the complement of its place, so that the larger word is the
// larger key, or the equal key at the smaller place. Needs shift + PLACE_BITS <= 32.
__device__ __forceinline__ u32 ranked(u32 offset, int place, int shift) {
    return ((offset & ((1u << shift) - 1)) << PLACE_BITS) | (~(u32)place & ((1u << PLACE_BITS) - 1));
}

// The select over the keys the block holds (as select_held) on grouped histograms, as offsets
// `key - base` of `top` bits (every counted key is >= base): `hists` holds three of
// GROUPED_WORDS, the first two zeroed by the caller before a barrier. They rotate: one counts, one
// is read by every warp's own pick, one is cleared; one barrier per digit.
// With `leaders` (NBINS words zeroed by the caller), digit 0 also keeps each bucket's largest
// `ranked` word, and when the class left after digit 0 takes one key (k_rem == 1) the select stops
// there, unresolved: the class's leader is that key. Two keys in the k-th bucket are that case
// half the time, and some row of 64 has them in most launches ([64 x 2048], k = 64), so the
// kernel, which waits for its slowest CTA, ran a second digit in most launches before.
template <int PER>
__device__ Select select_grouped(const u32 (&key)[PER], u32 valid, u32 base, int top, u32 k, u32 n, u32* hists, int first,
                                 u32* leaders) {
    Select s = select_start_below(k, n, top);
    for (int d = 0; d < digit_count(top) && !s.resolved; ++d) {
        u32* hist = hists + (d % 3) * GROUPED_WORDS;
        const bool lead = d == 0 && leaders != nullptr;
#pragma unroll
        for (int j = 0; j < PER; ++j) {
            if (((valid >> j) & 1u) && s.in_class(key[j] - base)) {
                const u32 bin = digit_of(key[j] - base, d, top);
                grouped_add(hist, bin);
                if (lead) atomicMax(&leaders[bin], ranked(key[j] - base, first + j, digit_shift(0, top)));
            }
        }
        __syncthreads();
        s = narrow(s, d, pick_bucket_grouped(hist, s.k_rem), top);
        if (lead && !s.resolved && s.k_rem == 1) break;
        if (!s.resolved) {
            // Last read at digit d - 1 (before this digit's barrier); counted into at d + 2.
            clear_words<GROUPED_WORDS>(hists + ((d + 2) % 3) * GROUPED_WORDS);
        }
    }
    return s;
}

extern "C" __global__ void __launch_bounds__(THREADS) topk_resident(
    const float* __restrict__ scores, int n, int k, int* __restrict__ out_idx, float* __restrict__ out_val) {
    if constexpr (STRATEGY == RESIDENT) {  // else an empty stub (see the top)
    __shared__ u32 hists[3 * GROUPED_WORDS];
    __shared__ u32 wsum[WARPS];
    __shared__ u32 bounds[WARPS][2];  // each warp's bound and largest key
    __shared__ u32 leaders[NBINS];    // digit 0's first-ranked key per bucket (select_grouped)
    const GlobalRow row{scores + (size_t)blockIdx.x * n};
    const int first = threadIdx.x * ITEMS;
    u32 key[ITEMS], valid = 0;
    row.load(first, n, key);
    // Zeroed while the row is on its way (the first barrier below orders it before every use).
    clear_words<2 * GROUPED_WORDS>(hists);
    clear_words<NBINS>(leaders);
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) valid |= (u32)(first + j < n) << j;
    // The bound is worth it where each warp's share of k fits its lanes.
    const u32 c = ((u32)k + WARPS - 1) / WARPS;
    if (c <= 32) {
        u32 bound, high;
        warp_bound(key, valid, c, bound, high);
        if ((threadIdx.x & 31) == 0) { bounds[threadIdx.x / 32][0] = bound; bounds[threadIdx.x / 32][1] = high; }
    }
    __syncthreads();
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    u32 low = 0, high = ~0u;
    if (c <= 32) {
        low = __reduce_min_sync(0xffffffffu, lane < WARPS ? bounds[lane][0] : ~0u);
        high = __reduce_max_sync(0xffffffffu, lane < WARPS ? bounds[lane][1] : 0u);
    }
    // Only the keys at or above the bound take part from here on.
    u32 taken = 0;
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) taken |= (u32)(((valid >> j) & 1u) && key[j] >= low) << j;
    const int top = high == low ? 0 : 32 - __clz(high - low);
    const int shift = digit_shift(0, top);
    const Select s = select_grouped(key, taken, low, top, k, n, hists, first, shift + PLACE_BITS <= 32 ? leaders : nullptr);
    const u32 lanes_below = (1u << lane) - 1;
    const u32 ties = s.k_rem;
    out_idx += (size_t)blockIdx.x * k;
    out_val += (size_t)blockIdx.x * k;
    if (!s.resolved || ties == s.size) {
        // The whole class is taken (the usual case): a key is selected when its resolved bits are
        // at or above the prefix. Or digit 0 left a class that takes one key: its leader. A key's
        // place is the selected keys before it: one ballot a key.
        u32 chosen = 0;
        if (s.resolved) {
#pragma unroll
            for (int j = 0; j < ITEMS; ++j) chosen |= (u32)(((taken >> j) & 1u) && ((key[j] - low) & s.mask) >= s.prefix) << j;
        } else {
            const u32 leader = leaders[(s.prefix >> shift) & (NBINS - 1)];
#pragma unroll
            for (int j = 0; j < ITEMS; ++j) {
                const u32 offset = key[j] - low;
                const bool in_leader = s.in_class(offset) && ranked(offset, first + j, shift) == leader;
                chosen |= (u32)(((taken >> j) & 1u) && (s.above(offset) || in_leader)) << j;
            }
        }
        u32 at = 0, count = 0;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 ballot = __ballot_sync(0xffffffffu, (chosen >> j) & 1u);
            at += __popc(ballot & lanes_below);
            count += __popc(ballot);
        }
        if (lane == 0) wsum[warp] = count;
        __syncthreads();
        at += __reduce_add_sync(0xffffffffu, lane < warp ? wsum[lane] : 0u);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j)
            if ((chosen >> j) & 1u) { out_idx[at] = first + j; out_val[at] = key_to_float(key[j]); ++at; }
        return;
    }

    // Ties at the k-th key: the first `ties` keys of the class in index order are selected.
    // Output position = selected keys before this one, in index order (thread t holds keys
    // ITEMS * t on): the lanes below in the warp by ballots, the warps below by their counts
    // (above the class, in it; packed in 16 bits each, n <= 8192) after one barrier; then each
    // thread walks its keys in order.
    u32 above_at = 0, tie_at = 0, warp_counts = 0;
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) {
        const bool mine = (taken >> j) & 1u;
        const u32 above = __ballot_sync(0xffffffffu, mine && s.above(key[j] - low));
        const u32 tied = __ballot_sync(0xffffffffu, mine && s.in_class(key[j] - low));
        above_at += __popc(above & lanes_below);
        tie_at += __popc(tied & lanes_below);
        warp_counts += (__popc(above) << 16) | __popc(tied);
    }
    if (lane == 0) wsum[warp] = warp_counts;
    __syncthreads();
    const u32 before = __reduce_add_sync(0xffffffffu, lane < warp ? wsum[lane] : 0u);
    above_at += before >> 16;
    tie_at += before & 0xffffu;
#pragma unroll
    for (int j = 0; j < ITEMS; ++j) {
        if (!((taken >> j) & 1u)) continue;
        u32 pos = ~0u;
        if (s.above(key[j] - low)) pos = above_at++ + min(tie_at, ties);
        else if (s.in_class(key[j] - low)) { if (tie_at < ties) pos = above_at + tie_at; ++tie_at; }
        if (pos != ~0u) { out_idx[pos] = first + j; out_val[pos] = key_to_float(key[j]); }
    }
    }
}

// ---- CLUSTER: a thread-block cluster of CTAS_PER_ROW CTAs per row, one launch ----
//
// Each CTA owns a segment of seg_len elements (the last may be shorter). The per-digit histograms
// are added into rank 0's shared memory; every CTA then picks the same bucket from those sums.
// Output order comes from two bitmaps per segment (selected; in the class of the k-th key): a
// block scan of their popcounts gives each element its place, and the CTAs' totals (summed at
// rank 0) give each segment its offset.

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
__device__ __forceinline__ u32 cluster_rank() {
    u32 r;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
    return r;
}
// Release on arrive, acquire on wait: shared-memory writes before an arrive are seen by every
// CTA of the cluster after its wait. Aligned: a warp arrives as one (every call site is reached by
// whole warps; __syncwarp reconverges them first).
__device__ __forceinline__ void cluster_arrive() {
    __syncwarp();
    asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
}
__device__ __forceinline__ void cluster_wait() {
    __syncwarp();
    asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
}
__device__ __forceinline__ void cluster_sync() { cluster_arrive(); cluster_wait(); }
// An arrive that orders nothing: release costs a GPU-wide memory barrier (MEMBAR.ALL.GPU, which
// also waits for the CTA's prefetches in flight). For a barrier that only says "every CTA of the
// cluster has started" (before any touches another's shared memory).
__device__ __forceinline__ void cluster_arrive_relaxed() {
    __syncwarp();
    asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
}
// The generic address of `p`'s counterpart in the shared memory of CTA `rank` of the cluster.
template <class T>
__device__ __forceinline__ T* cluster_map(T* p, u32 rank) {
    u64 out;
    asm volatile("mapa.u64 %0, %1, %2;" : "=l"(out) : "l"(reinterpret_cast<u64>(p)), "r"(rank));
    return reinterpret_cast<T*>(out);
}

// One digit (of keys with `top` bits) over the cluster: adds this CTA's `hist` (then zeroes it)
// into rank 0's `sums` of digit d, and picks the bucket from the cluster's sums.
__device__ Select cluster_round(int d, int top, Select s, u32* hist, u32* sums, u32* wsum, Pick* pick) {
    u32* lead = cluster_map(sums + d * NBINS, 0u);
    for (int b = threadIdx.x; b < NBINS; b += THREADS) {
        const u32 c = hist[b];
        if (c) { atomicAdd(lead + b, c); hist[b] = 0; }
    }
    cluster_sync();
    return narrow(s, d, pick_bucket(lead, s.k_rem, wsum, pick), top);
}

// A strided sample of m = min(n, SAMPLE) scores of the row, SAMPLE_PER a thread (float bits;
// bit j of `valid` marks raw[j]). Loaded before anything else is asked of memory: each sample
// is a line of its own, and behind a scan's prefetches they would wait for the whole queue.
constexpr int SAMPLE_PER = (SAMPLE + THREADS - 1) / THREADS;
__device__ __forceinline__ void sample_load(const GlobalRow& row, int n, u32 (&raw)[SAMPLE_PER], u32& valid) {
    const int m = min(n, SAMPLE), stride = n / m;  // (m - 1) * stride < n
    valid = 0;
#pragma unroll
    for (int j = 0; j < SAMPLE_PER; ++j) {
        const int i = threadIdx.x + j * THREADS;
        raw[j] = __float_as_uint(row.row[i < m ? i * stride : 0]);
        valid |= (u32)(i < m) << j;
    }
}

// A lower bound on the row's k-th largest key that few keys pass: the j-th largest of the
// sample, j four standard deviations above the sample's expected count above the k-th key.
// Every CTA of the row computes the same. The caller checks that at least k keys pass it (else
// it falls back to the full radix select).
__device__ u32 sample_bound(u32 (&raw)[SAMPLE_PER], u32 valid, int n, int k, u32* hists, u32* wsum, Pick* pick) {
    const int m = min(n, SAMPLE);
#pragma unroll
    for (int j = 0; j < SAMPLE_PER; ++j) raw[j] = GlobalRow::key_of(raw[j]);
    const float p = (float)k / (float)n, mean = (float)m * p;
    const u32 want = min((u32)m, (u32)ceilf(mean + 4.f * sqrtf(mean * (1.f - p))) + 2u);
    // When the select stops early its class is taken whole, and the prefix is a lower bound of it.
    return select_held(raw, valid, want, (u32)m, hists, wsum, pick).prefix;
}
#endif

// Dynamic shared memory (u32 words): hist [NBINS], sums [ROUNDS][NBINS], sel_bits and tie_bits
// [ceil(seg_len / 32)] each, cand_key and cand_pos [cand_cap] each, others [CTAS - 1][gather_slot]
// (`topk::cluster_layout`).
//
// When the sampled bound holds and every CTA's candidates fit a gather slot, each CTA copies its
// candidate keys into every other CTA's shared memory with the exchange of counts, and then
// selects alone, over the whole row's candidates: one cluster barrier after the scan instead of one
// per digit and one for the output offsets (each a GPU-wide memory barrier and remote round trips).
extern "C" __global__ void __cluster_dims__(CLUSTER_CTAS, 1, 1) __launch_bounds__(THREADS) topk_cluster(
    const float* __restrict__ scores, int n, int k, int seg_len, int cand_cap, int gather_slot,
    int* __restrict__ out_idx, float* __restrict__ out_val) {
    if constexpr (STRATEGY == CLUSTER) {  // else an empty stub (see the top)
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    extern __shared__ u32 dyn[];
    const int seg_words = (seg_len + 31) / 32;
    u32* hist = dyn;                         // this CTA's counts of the current digit
    u32* sums = hist + NBINS;                // the cluster's counts per digit (rank 0's are used)
    u32* sel_bits = sums + ROUNDS * NBINS;   // per element of the segment: selected
    u32* tie_bits = sel_bits + seg_words;    // per element: in the class of the k-th key
    u32* cand_key = tie_bits + seg_words;    // candidates: keys and positions in the segment
    u32* cand_pos = cand_key + cand_cap;
    u32* others = cand_pos + cand_cap;       // the other CTAs' candidate keys, gather_slot each
    __shared__ u32 wsum[WARPS];
    __shared__ u64 wsum_pair[WARPS];
    __shared__ Pick pick;
    __shared__ u32 found, found_high;         // candidates of this CTA, their largest key
    __shared__ u32 found_in[CLUSTER_CTAS][2]; // the same per CTA (each CTA writes its own into all)
    __shared__ u32 kept_in[CLUSTER_CTAS][2]; // selected and tied elements per CTA (likewise)
    __shared__ u32 bases[2];                 // selected and tied elements before this segment
    __shared__ bool sampled;                 // the sampled bound held: one read of the row
    __shared__ bool gathered;                // ... and every CTA holds every candidate key
    __shared__ int span_bits;
    __shared__ u32 span_size;

    const u32 rank = cluster_rank();
    const int r = blockIdx.x / CLUSTER_CTAS;
    const int begin = min(n, (int)rank * seg_len), end = min(n, begin + seg_len);
    const GlobalRow row{scores + (size_t)r * n};
    u32 sample[SAMPLE_PER], sample_valid;
    sample_load(row, n, sample, sample_valid);
    // The first tiles of the segment start coming into L2 while the sample is selected.
    for (int at = begin + threadIdx.x * 32; at < min(end, begin + PREFETCH_TILES * TILE); at += THREADS * 32)
        asm volatile("prefetch.global.L2 [%0];" :: "l"(row.row + at));
    for (int i = threadIdx.x; i < NBINS * (1 + ROUNDS) + 2 * seg_words; i += THREADS) dyn[i] = 0;
    if (threadIdx.x == 0) { found = 0; found_high = 0; }
    // The first two digit sums (ROUNDS >= 3) serve the sample's select, then are zeroed again.
    const u32 low = sample_bound(sample, sample_valid, n, k, sums, wsum, &pick);
    __syncthreads();  // every warp is done reading them
    for (int i = threadIdx.x; i < 2 * NBINS; i += THREADS) sums[i] = 0;
    __syncthreads();
    // Waited for before anyone touches another CTA (every CTA of the cluster has started). The
    // zeroed sums need no release here: remote atomics into them come after the exchange of
    // candidate counts, whose barrier releases them.
    cluster_arrive_relaxed();

    // One read of the segment: keys >= low are the candidates; their largest key bounds their span.
    const u32 cap = (u32)cand_cap;
    u32 high = 0;
    append_taken(row, begin, end, [&](u32 key, u32) { const bool take = key >= low; if (take) high = max(high, key); return take; },
                 cand_key, cand_pos, cap, &found);
    high = __reduce_max_sync(0xffffffffu, high);
    if ((threadIdx.x & 31) == 0 && high) atomicMax(&found_high, high);
    __syncthreads();
    cluster_wait();
    // Each CTA's counts go into every CTA's found_in (thread q writes rank q's), so after the
    // barrier they are read locally.
    if (threadIdx.x < CLUSTER_CTAS) {
        u32* slot = cluster_map(&found_in[0][0], threadIdx.x) + 2 * rank;
        slot[0] = found;
        slot[1] = found_high;
    }
    // In CTA q, rank's keys are in slot rank (or rank - 1 past q: q keeps no slot of its own).
    const u32 slot_len = (u32)gather_slot;
    if (found <= slot_len) {
        for (u32 q = 0; q < CLUSTER_CTAS; ++q) {
            if (q == rank) continue;
            u32* to = cluster_map(others, q) + (rank < q ? rank : rank - 1) * slot_len;
            for (u32 i = threadIdx.x; i < found; i += THREADS) to[i] = cand_key[i];
        }
    }
    cluster_sync();
    if (threadIdx.x == 0) {
        const u32* f = &found_in[0][0];
        u32 total = 0, high_all = 0;
        bool fits = true, fits_slots = true;
        for (int q = 0; q < CLUSTER_CTAS; ++q) {
            total += f[2 * q];
            fits &= f[2 * q] <= cap;
            fits_slots &= f[2 * q] <= slot_len;
            high_all = max(high_all, f[2 * q + 1]);
        }
        sampled = fits && total >= (u32)k;
        gathered = sampled && fits_slots;
        bases[0] = 0;
        bases[1] = 0;
        // Offsets from `low` (the candidates' keys minus it) have this many bits: the digits then
        // spread the candidates over the buckets instead of piling them into the top few.
        span_bits = sampled ? 32 - __clz(high_all - low) : 32;
        span_size = total;
    }
    __syncthreads();

    // The select runs on keys minus `base`: offsets from `low` when sampled, else whole keys.
    const int top = span_bits;
    const u32 base = sampled ? low : 0u;
    Select s = sampled ? select_start_below(k, span_size, top) : select_start(k, n), first = s;
    int d = 0;
    u32 cands = found;
    bool spilled = false;
    if (!sampled) {
        // The bound failed (rare): histogram of the top digit, then the filter, as two reads.
        __syncthreads();  // everyone has read `found`
        if (threadIdx.x == 0) found = 0;
        count_digit(row, begin, end, s, 0, hist);
        __syncthreads();
        s = first = cluster_round(0, 32, s, hist, sums, wsum, &pick);
        // Keys above the top bucket are selected (fewer than k of them); its keys are candidates.
        auto take = [&](u32 key, u32 at) {
            if (first.above(key)) atomicOr(&sel_bits[at >> 5], 1u << (at & 31));
            return first.in_class(key);
        };
        append_taken(row, begin, end, take, cand_key, cand_pos, cap, &found);
        __syncthreads();
        cands = found;
        spilled = cands > cap;
        d = 1;
    }
    // The candidates of CTA q (this CTA's own, or the copy in `others`), and their count.
    auto gathered_keys = [&](u32 q) { return q == rank ? cand_key : others + (q < rank ? q : q - 1) * slot_len; };
    auto found_by = [&](u32 q) { return found_in[q][0]; };
    if (gathered) {
        // Every digit over the whole row's candidates, in this CTA alone (`sums` is zero: a
        // fresh histogram a digit, no clearing).
        for (; d < digit_count(top) && !s.resolved; ++d) {
            u32* h = sums + d * NBINS;
            for (u32 q = 0; q < CLUSTER_CTAS; ++q) {
                const u32* keys = gathered_keys(q);
                for (u32 i = threadIdx.x; i < found_by(q); i += THREADS) {
                    const u32 key = keys[i] - base;
                    if (s.in_class(key)) hist_add(h, digit_of(key, d, top));
                }
            }
            __syncthreads();
            s = narrow(s, d, pick_bucket(h, s.k_rem, wsum, &pick), top);
        }
        // The selected and tied elements of the segments before this one.
        u32 sel_before = 0, tie_before = 0;
        for (u32 q = 0; q < rank; ++q) {
            const u32* keys = gathered_keys(q);
            for (u32 i = threadIdx.x; i < found_by(q); i += THREADS) {
                const u32 key = keys[i] - base;
                sel_before += s.above(key);
                tie_before += s.in_class(key);
            }
        }
        sel_before = __reduce_add_sync(0xffffffffu, sel_before);
        tie_before = __reduce_add_sync(0xffffffffu, tie_before);
        if ((threadIdx.x & 31) == 0 && (sel_before | tie_before)) {
            atomicAdd(&bases[0], sel_before);
            atomicAdd(&bases[1], tie_before);
        }
    }
    // The remaining digits over the candidates (or the segment, when they did not fit).
    for (; d < digit_count(top) && !s.resolved; ++d) {
        if (!spilled) {
            for (u32 i = threadIdx.x; i < cands; i += THREADS) {
                const u32 key = cand_key[i] - base;
                if (s.in_class(key)) hist_add(hist, digit_of(key, d, top));
            }
        } else {
            count_digit(row, begin, end, s, d, hist);
        }
        __syncthreads();
        s = cluster_round(d, top, s, hist, sums, wsum, &pick);
    }
    // Mark the candidates above the class and in it. Keys that are no candidates are below them.
    if (!spilled) {
        for (u32 i = threadIdx.x; i < cands; i += THREADS) {
            const u32 key = cand_key[i] - base, at = cand_pos[i];
            if (s.above(key)) atomicOr(&sel_bits[at >> 5], 1u << (at & 31));
            else if (s.in_class(key)) atomicOr(&tie_bits[at >> 5], 1u << (at & 31));
        }
    } else {  // base is 0 here
        for_each_tile(row, begin, end, [&](int first_at, const u32 (&key)[ITEMS]) {
            u32 sel = 0, tie = 0;
#pragma unroll
            for (int j = 0; j < ITEMS; ++j) {
                if (first_at + j >= end || !first.in_class(key[j])) continue;
                const u32 bit = 1u << ((first_at - begin + j) & 31);
                if (s.above(key[j])) sel |= bit;
                else if (s.in_class(key[j])) tie |= bit;
            }
            if (sel) atomicOr(&sel_bits[(first_at - begin) >> 5], sel);
            if (tie) atomicOr(&tie_bits[(first_at - begin) >> 5], tie);
        });
    }
    __syncthreads();

    // Counts per thread (a run of bitmap words), the block's scan, the cluster's offsets.
    const int per = (seg_words + THREADS - 1) / THREADS;
    const int w0 = min(seg_words, (int)threadIdx.x * per), w1 = min(seg_words, w0 + per);
    u32 n_sel = 0, n_tie = 0;
    for (int w = w0; w < w1; ++w) { n_sel += __popc(sel_bits[w]); n_tie += __popc(tie_bits[w]); }
    u64 cta_total;
    const u64 before = scan_block<u64>(((u64)n_sel << 32) | n_tie, wsum_pair, cta_total);
    // Each run's counts before it, for the candidates' places below (`hist` is free now).
    static_assert(STRATEGY != CLUSTER || 2 * THREADS <= NBINS, "run counts are kept in hist");
    hist[2 * threadIdx.x] = (u32)(before >> 32);
    hist[2 * threadIdx.x + 1] = (u32)before;
    if (!gathered) {
        if (threadIdx.x < CLUSTER_CTAS) {
            u32* slot = cluster_map(&kept_in[0][0], threadIdx.x) + 2 * rank;
            slot[0] = (u32)(cta_total >> 32);
            slot[1] = (u32)cta_total;
        }
        // The last barrier of the cluster: no CTA touches another's shared memory after it, so
        // each may exit when done.
        cluster_sync();
        if (threadIdx.x == 0) {
            const u32* kept = &kept_in[0][0];
            u32 sel = 0, tie = 0;
            for (u32 q = 0; q < rank; ++q) { sel += kept[2 * q]; tie += kept[2 * q + 1]; }
            bases[0] = sel;
            bases[1] = tie;
        }
    }
    __syncthreads();

    const u32 ties = s.k_rem;
    out_idx += (size_t)r * k;
    out_val += (size_t)r * k;
    // A kept element's place: the selected (and tied) elements before it, from its run's counts,
    // the words of its run before its own and the bits below it. When the sampled bound held,
    // every kept element is a candidate in shared memory, so each writes its own value (no second
    // read of the row, no walk over the bitmaps); else the bitmaps are walked.
    auto place = [&](int at, bool selected) {
        const int w = at >> 5, run = w / per;
        const u32 below = (1u << (at & 31)) - 1;
        u32 sel_at = bases[0] + hist[2 * run] + __popc(sel_bits[w] & below);
        u32 tie_at = bases[1] + hist[2 * run + 1] + __popc(tie_bits[w] & below);
        for (int v = run * per; v < w; ++v) { sel_at += __popc(sel_bits[v]); tie_at += __popc(tie_bits[v]); }
        if (selected) return sel_at + min(tie_at, ties);
        return tie_at < ties ? sel_at + tie_at : ~0u;
    };
    if (sampled) {
        for (u32 i = threadIdx.x; i < cands; i += THREADS) {
            const u32 key = cand_key[i], at = cand_pos[i];
            const bool selected = (sel_bits[at >> 5] >> (at & 31)) & 1u;
            if (!selected && !((tie_bits[at >> 5] >> (at & 31)) & 1u)) continue;
            const u32 pos = place((int)at, selected);
            if (pos != ~0u) {
                out_idx[pos] = begin + (int)at;
                out_val[pos] = key_to_float(key);
            }
        }
        return;
    }
    u32 sel_at = bases[0] + (u32)(before >> 32), tie_at = bases[1] + (u32)before;
    for (int w = w0; w < w1; ++w) {
        const u32 sel = sel_bits[w];
        u32 both = sel | tie_bits[w];
        while (both) {
            const int b = __ffs(both) - 1;
            both &= both - 1;
            u32 pos = ~0u;
            if ((sel >> b) & 1u) pos = sel_at++ + min(tie_at, ties);
            else { if (tie_at < ties) pos = sel_at + tie_at; ++tie_at; }
            if (pos != ~0u) {
                const int i = begin + w * 32 + b;
                out_idx[pos] = i;
                out_val[pos] = row.row[i];
            }
        }
    }
#endif
    }
}
