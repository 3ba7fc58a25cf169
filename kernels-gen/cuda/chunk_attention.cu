// Causal attention of a chunk of QROWS consecutive queries per sequence (SpecAttn's verification
// of gamma drafts + 1, and chunked prefill), bf16 K/V, fp32 accumulation, on tensor cores.
//
// The chunk's K and V are already in the cache: `context` counts them, and query r of the chunk
// (position context - QROWS + r) sees tokens [0, context - QROWS + r]. With GROUP query heads per
// KV head, one KV head serves R = GROUP * QROWS query rows (row rho = r * GROUP + g), far too many
// for the one-lane-per-dims scheme of attention.cu (28 rows for Llama's group 4 and gamma 6 would
// be compute-bound on CUDA cores), so rows go through mma.sync m16n8k16 in M_TILES tiles of 16.
//
// One CTA takes SPLIT_TOKENS tokens of one (batch, KV head) and streams them through shared memory
// in tiles of TILE tokens, so K and V are read from memory once for all R rows; two stages, so
// the next tile's cp.async loads are in flight while the warps compute on this one. Warp w owns m-tile
// w % M_TILES and token quarter w / M_TILES of every tile; it keeps an online softmax per row and
// writes its own partial (normalised output, log2-sum-exp), which `chunk_combine` merges.
//
// Fragments (PTX ISA, mma.m16n8k16 with .bf16): lane = 4*gid + tig. A (16x16, rows x k): regs
// {(gid, 2tig..+1), (gid+8, 2tig..+1), (gid, 2tig+8..+9), (gid+8, 2tig+8..+9)}. B (16x8, k x n):
// {(2tig..+1, gid), (2tig+8..+9, gid)}. C (16x8): {(gid, 2tig), (gid, 2tig+1), (gid+8, 2tig),
// (gid+8, 2tig+1)}. Two adjacent C tiles of S = QK^T are then exactly the A fragment of P for PV.

constexpr int ROWS = GROUP * QROWS;
constexpr int M_TILES = (ROWS + 15) / 16;
constexpr int WARPS = M_TILES * TOKEN_WARPS;
constexpr int WARP_TOKENS = TILE / TOKEN_WARPS;   // tokens of a tile one warp scores
constexpr int S_TILES = WARP_TOKENS / 8;          // n-tiles of S per warp
constexpr int K_STEPS = HEAD_DIM / 16;            // k-steps of QK^T
constexpr int O_TILES = HEAD_DIM / 8;             // n-tiles of the output
constexpr int STRIDE = HEAD_DIM + 8;              // smem row pitch (bf16): conflict-free fragment loads

// SpecAttn's selection reads every verify row's logits back instead of K (WRITE_LOGITS, log2
// units, masked ones -inf, fp16). A warp stages its m-tile's 16 rows x WARP_TOKENS logits in
// shared memory, then writes each row's run with 16-byte stores: the fragments alone would store
// 4-byte pieces, 16 rows apart.
constexpr int LOGIT_PIECES = WARP_TOKENS / 8;  // 16-byte pieces of a row's run
__device__ __forceinline__ void stage_logits(unsigned short* __restrict__ sm, int gid, int tig, int j, const float (&s)[4]) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const u32 pair = (u32)float_to_f16(s[2 * half]) | ((u32)float_to_f16(s[2 * half + 1]) << 16);
        *reinterpret_cast<u32*>(sm + (gid + 8 * half) * WARP_TOKENS + j * 8 + 2 * tig) = pair;
    }
}
__device__ __forceinline__ void store_logits(unsigned short* __restrict__ logits, const unsigned short* __restrict__ sm, int head,
                                             int row0, int t0, int end, int capacity, int lane) {
    for (int c = lane; c < 16 * LOGIT_PIECES; c += 32) {
        const int r = c / LOGIT_PIECES, piece = c % LOGIT_PIECES;
        const int rho = row0 + r, t = t0 + piece * 8;
        if (rho >= ROWS || t >= end) continue;
        unsigned short* dst = logits + ((size_t)head * ROWS + rho) * capacity + t;
        const unsigned short* src = sm + r * WARP_TOKENS + piece * 8;
        if (t + 8 <= end && capacity % 8 == 0) {
            *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
        } else {
            for (int i = 0; i < 8 && t + i < end; ++i) dst[i] = src[i];
        }
    }
}

extern "C" __global__ void __launch_bounds__(WARPS * 32) chunk_attend(
    const bf16_t* __restrict__ q,        // [batch][QROWS][kv_heads*GROUP][HEAD_DIM]
    const bf16_t* __restrict__ k,        // [batch][kv_heads][capacity][HEAD_DIM]
    const bf16_t* __restrict__ v,
    float* __restrict__ o_part,          // [batch*kv_heads][splits][TOKEN_WARPS][M_TILES*16][HEAD_DIM]
    float* __restrict__ lse_part,        // [batch*kv_heads][splits][TOKEN_WARPS][M_TILES*16], log2 domain
    int kv_heads, int context, int capacity, int splits, float scale,
    unsigned short* __restrict__ logits) {  // WRITE_LOGITS: [batch*kv_heads][ROWS][capacity] fp16
    __shared__ __align__(16) bf16_t ks_all[2][TILE * STRIDE];
    __shared__ __align__(16) bf16_t vs_all[2][TILE * STRIDE];
    // WRITE_LOGITS: each warp's 16 x WARP_TOKENS staging tile.
    __shared__ __align__(16) unsigned short logits_sm[WRITE_LOGITS ? WARPS : 1][WRITE_LOGITS ? 16 * WARP_TOKENS : 8];
    // Launched as a programmatic dependent: q, K and V are the predecessor's. `chunk_combine` may
    // launch at once and wait in place.
    sdec_allow_dependents();
    sdec_wait_for_predecessor();

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int gid = lane / 4, tig = lane % 4;
    const int mt = warp % M_TILES, tw = warp / M_TILES;
    const int head = blockIdx.x / splits, split = blockIdx.x % splits;
    const int b = head / kv_heads, kvh = head % kv_heads;
    const int begin = split * SPLIT_TOKENS, end = min(begin + SPLIT_TOKENS, context);
    const size_t kv_base = (size_t)head * capacity * HEAD_DIM;

    // This lane's two rows of the m-tile, and the last token each may see.
    int row_lim[2];
    u32 qa[K_STEPS][4];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int rho = mt * 16 + gid + half * 8;
        row_lim[half] = rho < ROWS ? context - QROWS + rho / GROUP : -1;
    }
#pragma unroll
    for (int s = 0; s < K_STEPS; ++s) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int rho = mt * 16 + gid + (i & 1) * 8;
            const int dim = s * 16 + 2 * tig + (i >> 1) * 8;
            u32 val = 0;
            if (rho < ROWS) {
                const int r = rho / GROUP, g = rho % GROUP;
                val = *reinterpret_cast<const u32*>(q + (((size_t)b * QROWS + r) * kv_heads * GROUP + kvh * GROUP + g) * HEAD_DIM + dim);
            }
            qa[s][i] = val;
        }
    }

    const float qscale = scale * SDEC_LOG2E;
    float m[2] = {-SDEC_INF, -SDEC_INF}, l[2] = {0.f, 0.f};
    float o[O_TILES][4];
#pragma unroll
    for (int j = 0; j < O_TILES; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;

    // Stage `st` <- tile at t0 (tokens past `end` zero-filled).
    auto load_tile = [&](int st, int t0) {
        for (int c = threadIdx.x; c < TILE * HEAD_DIM / 8; c += WARPS * 32) {
            const int t = c / (HEAD_DIM / 8), d = (c % (HEAD_DIM / 8)) * 8;
            const bool valid = t0 + t < end;
            const size_t off = kv_base + (size_t)(valid ? t0 + t : begin) * HEAD_DIM + d;
            cp_async16(ks_all[st] + t * STRIDE + d, k + off, valid);
            cp_async16(vs_all[st] + t * STRIDE + d, v + off, valid);
        }
        asm volatile("cp.async.commit_group;" ::: "memory");
    };
    if (begin < end) load_tile(0, begin);
    int stage = 0;
    for (int t0 = begin; t0 < end; t0 += TILE, stage ^= 1) {
        if (t0 + TILE < end) {
            load_tile(stage ^ 1, t0 + TILE);
            asm volatile("cp.async.wait_group 1;" ::: "memory");
        } else {
            asm volatile("cp.async.wait_group 0;" ::: "memory");
        }
        __syncthreads();  // this tile has landed for every thread
        const bf16_t* ks = ks_all[stage];
        const bf16_t* vs = vs_all[stage];
        const int w0 = tw * WARP_TOKENS;  // this warp's first token in the tile

        // S = Q K^T for this warp's tokens, in log2 units, masked.
        float s[S_TILES][4];
#pragma unroll
        for (int j = 0; j < S_TILES; ++j) {
            s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
            const bf16_t* krow = ks + (w0 + j * 8 + gid) * STRIDE + 2 * tig;
#pragma unroll
            for (int st = 0; st < K_STEPS; ++st) {
                const u32 b0 = *reinterpret_cast<const u32*>(krow + st * 16);
                const u32 b1 = *reinterpret_cast<const u32*>(krow + st * 16 + 8);
                mma_bf16(s[j], qa[st], b0, b1);
            }
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int t = t0 + w0 + j * 8 + 2 * tig + (i & 1);
                s[j][i] = (t < end && t <= row_lim[i >> 1]) ? s[j][i] * qscale : -SDEC_INF;
            }
            if (WRITE_LOGITS) stage_logits(logits_sm[warp], gid, tig, j, s[j]);
        }
        if (WRITE_LOGITS) {
            __syncwarp();
            store_logits(logits, logits_sm[warp], head, mt * 16, t0 + w0, end, capacity, lane);
            __syncwarp();  // the staging tile is free for the next one
        }

        // Online softmax per row; a row's values are spread over the 4 lanes of its quad.
        float alpha[2];
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            float mx = -SDEC_INF;
#pragma unroll
            for (int j = 0; j < S_TILES; ++j) mx = fmaxf(mx, fmaxf(s[j][2 * half], s[j][2 * half + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = mx > m[half] + SDEC_RESCALE_SLACK ? mx : m[half];  // (the quad agrees)
            alpha[half] = m_new == -SDEC_INF ? 1.f : exp2_fast(m[half] - m_new);
            m[half] = m_new;
        }
        // P as PV's A fragments, split into bf16 hi + lo parts (two MMAs): P carries 16 bits
        // of precision instead of bf16's 8, so the chunk pass matches the decode step's fp32
        // weights (SpecAttn's verification must reproduce full decoding's greedy tokens).
        u32 pa[S_TILES / 2][4], pa_lo[S_TILES / 2][4];
        float sum[2] = {0.f, 0.f};
#pragma unroll
        for (int j = 0; j < S_TILES; ++j) {
            float p[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float mm = m[i >> 1];
                p[i] = mm == -SDEC_INF ? 0.f : exp2_fast(s[j][i] - mm);
                sum[i >> 1] += p[i];
            }
            split_bf16(p[0], p[1], pa[j / 2][(j & 1) * 2 + 0], pa_lo[j / 2][(j & 1) * 2 + 0]);
            split_bf16(p[2], p[3], pa[j / 2][(j & 1) * 2 + 1], pa_lo[j / 2][(j & 1) * 2 + 1]);
        }
#pragma unroll
        for (int half = 0; half < 2; ++half) l[half] = l[half] * alpha[half] + sum[half];
        if (alpha[0] != 1.f || alpha[1] != 1.f) {  // 2^0 is exactly 1: neither max moved
#pragma unroll
            for (int j = 0; j < O_TILES; ++j) {
                o[j][0] *= alpha[0]; o[j][1] *= alpha[0];
                o[j][2] *= alpha[1]; o[j][3] *= alpha[1];
            }
        }

        // O += P V over this warp's tokens.
#pragma unroll
        for (int kk = 0; kk < S_TILES / 2; ++kk) {
            const bf16_t* v0 = vs + (w0 + kk * 16 + 2 * tig) * STRIDE + gid;
#pragma unroll
            for (int j = 0; j < O_TILES; ++j) {
                const bf16_t* vp = v0 + j * 8;
                const u32 b0 = (u32)vp[0] | ((u32)vp[STRIDE] << 16);
                const u32 b1 = (u32)vp[8 * STRIDE] | ((u32)vp[9 * STRIDE] << 16);
                mma_bf16(o[j], pa[kk], b0, b1);
                mma_bf16(o[j], pa_lo[kk], b0, b1);
            }
        }
        __syncthreads();  // every warp is done with this stage before it is loaded again
    }

    // This warp's partial: rows gid and gid+8 of its m-tile.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        l[half] += __shfl_xor_sync(0xffffffffu, l[half], 1);
        l[half] += __shfl_xor_sync(0xffffffffu, l[half], 2);
    }
    const size_t part = ((size_t)blockIdx.x * TOKEN_WARPS + tw) * (M_TILES * 16);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int row = mt * 16 + gid + half * 8;
        const float inv = l[half] > 0.f ? 1.f / l[half] : 0.f;
        float* dst = o_part + (part + row) * HEAD_DIM + 2 * tig;
#pragma unroll
        for (int j = 0; j < O_TILES; ++j)
            *reinterpret_cast<float2*>(dst + j * 8) = make_float2(o[j][2 * half] * inv, o[j][2 * half + 1] * inv);
        if (tig == 0) lse_part[part + row] = l[half] > 0.f ? m[half] + log2f(l[half]) : -SDEC_INF;
    }
}

// Merges the partials of one (batch, KV head, row) by log-sum-exp; one CTA of HEAD_DIM threads.
// out like q; lse_out [batch][QROWS][kv_heads*GROUP], log2 domain (SpecAttn's selection scores
// need each row's normaliser).
extern "C" __global__ void __launch_bounds__(HEAD_DIM) chunk_combine(
    const float* __restrict__ o_part, const float* __restrict__ lse_part,
    bf16_t* __restrict__ out, float* __restrict__ lse_out, int kv_heads, int splits) {
    sdec_wait_for_predecessor();  // the partials are `chunk_attend`'s
    const int head = blockIdx.x / ROWS, rho = blockIdx.x % ROWS, d = threadIdx.x;
    const int b = head / kv_heads, kvh = head % kv_heads, r = rho / GROUP, g = rho % GROUP;
    const int parts = splits * TOKEN_WARPS;
    const size_t first = (size_t)head * parts * (M_TILES * 16) + rho, stride = M_TILES * 16;
    float lse;
    const float o = merge_partials<HEAD_DIM, HEAD_DIM>(lse_part + first, stride, o_part + first * HEAD_DIM, stride * HEAD_DIM, parts, &lse);
    const size_t row = ((size_t)b * QROWS + r) * kv_heads * GROUP + kvh * GROUP + g;
    out[row * HEAD_DIM + d] = float_to_bf16(o);
    if (d == 0) lse_out[row] = lse;
}
