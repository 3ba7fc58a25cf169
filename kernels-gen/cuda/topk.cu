// Exact top-k of fp32 rows by radix select. Result: the k indices (ascending) and their values.
// Ties at the k-th value are broken towards the smaller index, so the result is deterministic.
//
// Keys are order-preserving u32 maps of the floats (float_key). Three radix digits of 11, 11 and
// 10 bits narrow the k-th key T down; then every element with key > T, and the first r elements
// with key == T (r = k minus the count above T), are written in index order by block scans.
//
// CTAS_PER_ROW == 1: `topk_fused` does it all in one launch per row; a row of at most STAGE_CAP
//   scores is staged in shared memory and read from global memory once.
// CTAS_PER_ROW  > 1: each row is cut into CTAS_PER_ROW segments and four launches cooperate:
//   topk_hist    segment histograms of the top digit, summed in global memory;
//   topk_filter  counts elements above the top bucket; copies the bucket's elements (candidates)
//                in index order to a scratch list per segment;
//   topk_resolve one CTA per row finishes the select on the candidates and gives each segment
//                its output offset and its count of ties before it;
//   topk_write   each segment writes its selected elements at its offset.

constexpr int BINS = 2048;
constexpr int STAGE_CAP = 8192;  // scores (or candidates) a CTA keeps in shared memory (32 KB)
constexpr int TILE = THREADS * ITEMS;  // elements a CTA takes per step, ITEMS consecutive per thread
constexpr int WARPS = THREADS / 32;
constexpr int DIGITS = 3;
__device__ __constant__ int DIGIT_SHIFT[DIGITS] = {21, 10, 0};
__device__ __constant__ u32 DIGIT_MASK[DIGITS] = {0x7ffu, 0x7ffu, 0x3ffu};

struct RowState {   // the select's result for one row
    u32 threshold;  // the k-th largest key
    u32 ties;       // how many elements equal to it are taken
};

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

__device__ __forceinline__ float key_to_float(u32 key) {
    return __uint_as_float((key & 0x80000000u) ? (key ^ 0x80000000u) : ~key);
}

// ITEMS consecutive scores from `first` (zeros past `end`), with 16-byte loads when aligned.
struct GlobalRow {
    const float* __restrict__ row;
    __device__ __forceinline__ void load(int first, int end, float (&v)[ITEMS]) const {
        if (ITEMS % 4 == 0 && first + ITEMS <= end && ((size_t)(row + first) & 15) == 0) {
#pragma unroll
            for (int j = 0; j < ITEMS; j += 4) {
                const float4 f = *reinterpret_cast<const float4*>(row + first + j);
                v[j] = f.x; v[j + 1] = f.y; v[j + 2] = f.z; v[j + 3] = f.w;
            }
        } else {
#pragma unroll
            for (int j = 0; j < ITEMS; ++j) v[j] = first + j < end ? row[first + j] : 0.f;
        }
    }
};

// The same from keys staged in shared memory.
struct StagedRow {
    const u32* keys;
    __device__ __forceinline__ void load(int first, int end, float (&v)[ITEMS]) const {
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) v[j] = first + j < end ? key_to_float(keys[first + j]) : 0.f;
    }
};

// Histogram of digit `digit` over the elements of [begin, end) whose higher digits match `prefix`.
template <class Row>
__device__ void histogram(const Row& row, int begin, int end, u32 prefix, int digit, u32* hist);

// The whole block finds the bucket holding the k_rem-th largest key of `hist` (counts per bucket)
// and the rank left within it: each thread sums a run of buckets from the top, one block scan
// orders the runs. Results go to *bucket and *k_rem; the caller synchronises.
__device__ void select_bucket(const u32* hist, int nbins, u32* bucket, u32* k_rem, u32* scratch) {
    const int per = nbins / THREADS;
    const int hi = nbins - 1 - threadIdx.x * per;
    u32 mine = 0;
    for (int j = 0; j < per; ++j) mine += hist[hi - j];
    const u32 want = *k_rem;
    u32 total;
    const u32 above = block_exclusive_scan<THREADS>(mine, scratch, total);
    if (above < want && want <= above + mine) {
        u32 seen = above;
        for (int j = 0; j < per; ++j) {
            const u32 c = hist[hi - j];
            if (seen + c >= want) {
                *bucket = (u32)(hi - j);
                *k_rem = want - seen;
                break;
            }
            seen += c;
        }
    }
}

__device__ __forceinline__ bool key_matches(u32 key, u32 prefix, int digit) {
    // Bits above `digit` must equal the prefix chosen so far.
    const int shift = DIGIT_SHIFT[digit] + (digit == 0 ? 11 : (digit == 1 ? 11 : 10));
    return shift >= 32 || (key >> shift) == (prefix >> shift);
}

template <class Row>
__device__ void histogram(const Row& row, int begin, int end, u32 prefix, int digit, u32* hist) {
    const int shift = DIGIT_SHIFT[digit];
    const u32 mask = DIGIT_MASK[digit];
    float v[ITEMS], next[ITEMS];
    row.load(begin + threadIdx.x * ITEMS, end, next);
    for (int tile = begin; tile < end; tile += TILE) {
        const int first = tile + threadIdx.x * ITEMS;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) v[j] = next[j];
        if (tile + TILE < end) row.load(first + TILE, end, next);  // in flight while we count
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 key = float_key(v[j]);
            if (first + j < end && key_matches(key, prefix, digit)) hist_add(hist, (key >> shift) & mask);
        }
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

// Writes the selected elements of [begin, end) in index order from `out`: every key > T, and the
// first `ties` keys == T counting `ties_before` such keys before `begin`. Each warp owns a
// contiguous run: it counts its run, two block scans give every warp its output offset and its
// ties before, then it writes its run in order with warp scans only (no block barrier per tile).
template <class Row>
__device__ void write_selected(const Row& row, int begin, int end, u32 threshold,
                               u32 ties_before, u32 ties, int* __restrict__ out_idx,
                               float* __restrict__ out_val, u32* scratch) {
    constexpr int STEP = 32 * ITEMS;  // elements a warp takes per step
    const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
    const int per_warp = ((end - begin + WARPS - 1) / WARPS + STEP - 1) / STEP * STEP;
    const int run_begin = min(end, begin + warp * per_warp), run_end = min(end, run_begin + per_warp);

    u32 gt = 0, eq = 0;
    for (int base = run_begin; base < run_end; base += STEP) {
        const int first = base + lane * ITEMS;
        float v[ITEMS];
        row.load(first, run_end, v);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 key = float_key(v[j]);
            if (first + j < run_end) { gt += key > threshold; eq += key == threshold; }
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
        float v[ITEMS];
        row.load(first, run_end, v);
        u32 gt_bits = 0, eq_bits = 0;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 key = float_key(v[j]);
            if (first + j < run_end) { gt_bits |= (u32)(key > threshold) << j; eq_bits |= (u32)(key == threshold) << j; }
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
            if ((sel >> j) & 1u) { out_idx[pos] = first + j; out_val[pos] = v[j]; ++pos; }
        written += sel_step;
        ties_seen += eq_step;
    }
}

// ---- one CTA per row ----
template <class Row>
__device__ void select_row(const Row& row, int n, int k, u32* hist, u32* bucket, u32* k_rem, u32* scratch,
                           int* __restrict__ out_idx, float* __restrict__ out_val) {
    if (threadIdx.x == 0) *k_rem = (u32)k;
    u32 prefix = 0;
    for (int digit = 0; digit < DIGITS; ++digit) {
        for (int b = threadIdx.x; b < BINS; b += THREADS) hist[b] = 0;
        __syncthreads();
        histogram(row, 0, n, prefix, digit, hist);
        __syncthreads();
        select_bucket(hist, DIGIT_MASK[digit] + 1, bucket, k_rem, scratch);
        __syncthreads();
        prefix |= *bucket << DIGIT_SHIFT[digit];
    }
    write_selected(row, 0, n, prefix, 0, *k_rem, out_idx, out_val, scratch);
}

// A row too long to stage: after the top digit, the elements of the top bucket (the candidates)
// are appended to shared memory when they fit, so the lower digits never reread the row. Two
// passes over the row (histogram, filter) plus the write, instead of one per digit plus the write.
__device__ void select_long_row(const GlobalRow& row, int n, int k, u32* hist, u32* stage, u32* count,
                                u32* bucket, u32* k_rem, u32* scratch, int* __restrict__ out_idx,
                                float* __restrict__ out_val) {
    if (threadIdx.x == 0) { *k_rem = (u32)k; *count = 0; }
    for (int b = threadIdx.x; b < BINS; b += THREADS) hist[b] = 0;
    __syncthreads();
    histogram(row, 0, n, 0, 0, hist);
    __syncthreads();
    select_bucket(hist, BINS, bucket, k_rem, scratch);
    __syncthreads();
    const u32 top = *bucket;
    u32 prefix = top << DIGIT_SHIFT[0];
    if (hist[top] > STAGE_CAP) {  // too many candidates (e.g. massive ties): stay on the row
        for (int digit = 1; digit < DIGITS; ++digit) {
            __syncthreads();
            for (int b = threadIdx.x; b < BINS; b += THREADS) hist[b] = 0;
            __syncthreads();
            histogram(row, 0, n, prefix, digit, hist);
            __syncthreads();
            select_bucket(hist, DIGIT_MASK[digit] + 1, bucket, k_rem, scratch);
            __syncthreads();
            prefix |= *bucket << DIGIT_SHIFT[digit];
        }
        write_selected(row, 0, n, prefix, 0, *k_rem, out_idx, out_val, scratch);
        return;
    }
    // Filter: append the candidates' keys (order does not matter for the histograms).
    const int lane = threadIdx.x & 31;
    float v[ITEMS], next[ITEMS];
    row.load(threadIdx.x * ITEMS, n, next);
    for (int tile = 0; tile < n; tile += TILE) {
        const int first = tile + threadIdx.x * ITEMS;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) v[j] = next[j];
        if (tile + TILE < n) row.load(first + TILE, n, next);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 key = float_key(v[j]);
            const bool take = first + j < n && (key >> DIGIT_SHIFT[0]) == top;
            const u32 ballot = __ballot_sync(0xffffffffu, take);
            u32 base = 0;
            if (lane == 0 && ballot) base = atomicAdd(count, __popc(ballot));
            base = __shfl_sync(0xffffffffu, base, 0);
            if (take) stage[base + __popc(ballot & ((1u << lane) - 1))] = key;
        }
    }
    __syncthreads();
    const int found = (int)*count;
    for (int digit = 1; digit < DIGITS; ++digit) {
        for (int b = threadIdx.x; b < BINS; b += THREADS) hist[b] = 0;
        __syncthreads();
        histogram(StagedRow{stage}, 0, found, prefix, digit, hist);
        __syncthreads();
        select_bucket(hist, DIGIT_MASK[digit] + 1, bucket, k_rem, scratch);
        __syncthreads();
        prefix |= *bucket << DIGIT_SHIFT[digit];
    }
    write_selected(row, 0, n, prefix, 0, *k_rem, out_idx, out_val, scratch);
}

extern "C" __global__ void __launch_bounds__(THREADS) topk_fused(
    const float* __restrict__ scores, int n, int k, int* __restrict__ out_idx, float* __restrict__ out_val) {
    __shared__ u32 hist[BINS];
    __shared__ u32 bucket, k_rem;
    __shared__ u32 scratch[33];
    __shared__ u32 stage[STAGE_CAP];
    __shared__ u32 count;
    const GlobalRow row{scores + (size_t)blockIdx.x * n};
    out_idx += (size_t)blockIdx.x * k;
    out_val += (size_t)blockIdx.x * k;
    if (n <= STAGE_CAP) {
        for (int tile = 0; tile < n; tile += TILE) {
            const int first = tile + threadIdx.x * ITEMS;
            float v[ITEMS];
            row.load(first, n, v);
#pragma unroll
            for (int j = 0; j < ITEMS; ++j)
                if (first + j < n) stage[first + j] = float_key(v[j]);
        }
        __syncthreads();
        select_row(StagedRow{stage}, n, k, hist, &bucket, &k_rem, scratch, out_idx, out_val);
    } else {
        select_long_row(row, n, k, hist, stage, &count, &bucket, &k_rem, scratch, out_idx, out_val);
    }
}

// ---- several CTAs per row: grid (CTAS_PER_ROW, rows) ----
// Segment length, a multiple of 4 so that segments start 16-byte aligned.
__device__ __forceinline__ int segment_len(int n) { return ((n + CTAS_PER_ROW - 1) / CTAS_PER_ROW + 3) / 4 * 4; }

__device__ __forceinline__ void segment_of(int n, int& begin, int& end) {
    const int len = segment_len(n);
    begin = min(n, blockIdx.x * len);
    end = min(n, begin + len);
}

// hist: [rows][BINS], zero on entry (allocated zeroed; topk_resolve clears it after use).
extern "C" __global__ void __launch_bounds__(THREADS) topk_hist(
    const float* __restrict__ scores, int n, u32* __restrict__ hist) {
    __shared__ u32 local[BINS];
    for (int b = threadIdx.x; b < BINS; b += THREADS) local[b] = 0;
    __syncthreads();
    int begin, end;
    segment_of(n, begin, end);
    histogram(GlobalRow{scores + (size_t)blockIdx.y * n}, begin, end, 0, 0, local);
    __syncthreads();
    u32* global = hist + (size_t)blockIdx.y * BINS;
    for (int b = threadIdx.x; b < BINS; b += THREADS)
        if (local[b]) atomicAdd(&global[b], local[b]);
}

// Top bucket of a row from its global histogram; every CTA of the row derives the same.
__device__ void top_bucket(const u32* __restrict__ hist_row, int k, u32* sm_hist, u32* bucket, u32* k_rem, u32* scratch) {
    for (int b = threadIdx.x; b < BINS; b += THREADS) sm_hist[b] = hist_row[b];
    if (threadIdx.x == 0) *k_rem = (u32)k;
    __syncthreads();
    select_bucket(sm_hist, BINS, bucket, k_rem, scratch);
    __syncthreads();
}

// cand_key: [rows][n] (segment s writes from its own begin); seg_counts: [rows][CTAS][2]
// = {elements above the top bucket, candidates}.
extern "C" __global__ void __launch_bounds__(THREADS) topk_filter(
    const float* __restrict__ scores, int n, int k, const u32* __restrict__ hist,
    u32* __restrict__ cand_key, u32* __restrict__ seg_counts) {
    __shared__ u32 sm_hist[BINS];
    __shared__ u32 bucket, k_rem;
    __shared__ u32 scratch[33];
    top_bucket(hist + (size_t)blockIdx.y * BINS, k, sm_hist, &bucket, &k_rem, scratch);
    int begin, end;
    segment_of(n, begin, end);
    const GlobalRow row{scores + (size_t)blockIdx.y * n};
    u32* keys = cand_key + (size_t)blockIdx.y * n + begin;
    const u32 top = bucket;
    __shared__ u32 found;
    if (threadIdx.x == 0) found = 0;
    __syncthreads();
    const int lane = threadIdx.x & 31;
    u32 above = 0;
    // Candidates are appended in any order: the resolve step only counts them per segment.
    float v[ITEMS], next[ITEMS];
    row.load(begin + threadIdx.x * ITEMS, end, next);
    for (int tile = begin; tile < end; tile += TILE) {
        const int first = tile + threadIdx.x * ITEMS;
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) v[j] = next[j];
        if (tile + TILE < end) row.load(first + TILE, end, next);
#pragma unroll
        for (int j = 0; j < ITEMS; ++j) {
            const u32 key = float_key(v[j]);
            const u32 digit = key >> DIGIT_SHIFT[0];
            const bool valid = first + j < end;
            above += valid && digit > top;
            const bool take = valid && digit == top;
            const u32 ballot = __ballot_sync(0xffffffffu, take);
            u32 at = 0;
            if (lane == 0 && ballot) at = atomicAdd(&found, __popc(ballot));
            at = __shfl_sync(0xffffffffu, at, 0);
            if (take) keys[at + __popc(ballot & ((1u << lane) - 1))] = key;
        }
    }
    u32 total_above;
    block_exclusive_scan<THREADS>(above, scratch, total_above);
    if (threadIdx.x == 0) {
        u32* counts = seg_counts + ((size_t)blockIdx.y * CTAS_PER_ROW + blockIdx.x) * 2;
        counts[0] = total_above;
        counts[1] = found;
    }
}

// grid: rows. Finishes the select on the candidates (staged in shared memory when they fit);
// writes the row state and, per segment, {output offset, ties before it} into seg_plan
// [rows][CTAS][2].
extern "C" __global__ void __launch_bounds__(THREADS) topk_resolve(
    int n, int k, u32* __restrict__ hist, const u32* __restrict__ cand_key,
    const u32* __restrict__ seg_counts, RowState* __restrict__ state, u32* __restrict__ seg_plan) {
    __shared__ u32 sm_hist[BINS];
    __shared__ u32 bucket, k_rem;
    __shared__ u32 scratch[33];
    __shared__ u32 stage[STAGE_CAP];
    __shared__ u32 seg_start[CTAS_PER_ROW + 1];          // candidate offsets of the segments
    __shared__ u32 seg_gt[CTAS_PER_ROW], seg_eq[CTAS_PER_ROW];
    const int r = blockIdx.x;
    top_bucket(hist + (size_t)r * BINS, k, sm_hist, &bucket, &k_rem, scratch);
    // Every CTA of this row has read the histogram (stream order): clear it for the next call.
    for (int b = threadIdx.x; b < BINS; b += THREADS) hist[(size_t)r * BINS + b] = 0;
    const int len = segment_len(n);
    const u32* counts = seg_counts + (size_t)r * CTAS_PER_ROW * 2;
    const u32* keys = cand_key + (size_t)r * n;
    if (threadIdx.x == 0) {
        u32 at = 0;
        for (int s = 0; s < CTAS_PER_ROW; ++s) { seg_start[s] = at; at += counts[2 * s + 1]; }
        seg_start[CTAS_PER_ROW] = at;
    }
    for (int s = threadIdx.x; s < CTAS_PER_ROW; s += THREADS) { seg_gt[s] = 0; seg_eq[s] = 0; }
    __syncthreads();
    const bool staged = seg_start[CTAS_PER_ROW] <= STAGE_CAP;
    if (staged) {
        for (int s = 0; s < CTAS_PER_ROW; ++s) {
            const u32 found = seg_start[s + 1] - seg_start[s];
#pragma unroll 4
            for (u32 j = threadIdx.x; j < found; j += THREADS) stage[seg_start[s] + j] = keys[(size_t)s * len + j];
        }
        __syncthreads();
    }
    auto candidate = [&](int s, u32 j) { return staged ? stage[seg_start[s] + j] : keys[(size_t)s * len + j]; };

    u32 prefix = bucket << DIGIT_SHIFT[0];
    for (int digit = 1; digit < DIGITS; ++digit) {
        for (int b = threadIdx.x; b < BINS; b += THREADS) sm_hist[b] = 0;
        __syncthreads();
        const int shift = DIGIT_SHIFT[digit];
        const u32 mask = DIGIT_MASK[digit];
        for (int s = 0; s < CTAS_PER_ROW; ++s) {
            const u32 found = seg_start[s + 1] - seg_start[s];
#pragma unroll 4
            for (u32 j = threadIdx.x; j < found; j += THREADS) {
                const u32 key = candidate(s, j);
                if (key_matches(key, prefix, digit)) hist_add(sm_hist, (key >> shift) & mask);
            }
        }
        __syncthreads();
        select_bucket(sm_hist, mask + 1, &bucket, &k_rem, scratch);
        __syncthreads();
        prefix |= bucket << shift;
    }
    const u32 threshold = prefix, ties = k_rem;
    // Per segment: candidates above T join the elements above the top bucket; ties are taken
    // in segment order until `ties` are used. Warp sums, then one shared atomic per warp.
    for (int s = 0; s < CTAS_PER_ROW; ++s) {
        const u32 found = seg_start[s + 1] - seg_start[s];
        u32 gt = 0, eq = 0;
#pragma unroll 4
        for (u32 j = threadIdx.x; j < found; j += THREADS) {
            const u32 key = candidate(s, j);
            gt += key > threshold;
            eq += key == threshold;
        }
        gt = __reduce_add_sync(0xffffffffu, gt);
        eq = __reduce_add_sync(0xffffffffu, eq);
        if ((threadIdx.x & 31) == 0 && (gt | eq)) { atomicAdd(&seg_gt[s], gt); atomicAdd(&seg_eq[s], eq); }
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        u32 offset = 0, ties_before = 0;
        for (int s = 0; s < CTAS_PER_ROW; ++s) {
            seg_plan[((size_t)r * CTAS_PER_ROW + s) * 2] = offset;
            seg_plan[((size_t)r * CTAS_PER_ROW + s) * 2 + 1] = ties_before;
            const u32 taken = ties_before >= ties ? 0 : min(seg_eq[s], ties - ties_before);
            offset += counts[2 * s] + seg_gt[s] + taken;
            ties_before += seg_eq[s];
        }
        state[r] = RowState{threshold, ties};
    }
}

extern "C" __global__ void __launch_bounds__(THREADS) topk_write(
    const float* __restrict__ scores, int n, int k, const RowState* __restrict__ state,
    const u32* __restrict__ seg_plan, int* __restrict__ out_idx, float* __restrict__ out_val) {
    __shared__ u32 scratch[33];
    int begin, end;
    segment_of(n, begin, end);
    const RowState st = state[blockIdx.y];
    const u32* plan = seg_plan + ((size_t)blockIdx.y * CTAS_PER_ROW + blockIdx.x) * 2;
    const u32 offset = plan[0];
    write_selected(GlobalRow{scores + (size_t)blockIdx.y * n}, begin, end, st.threshold, plan[1], st.ties,
                   out_idx + (size_t)blockIdx.y * k + offset, out_val + (size_t)blockIdx.y * k + offset, scratch);
}
