// Reads listed K and V rows of a bf16 cache [heads][context][HEAD_DIM] the way the attention
// kernels do (16-byte loads, HEAD_DIM / 8 lanes a row, UNROLL rows a lane group in flight) and
// folds them into one word a thread, so only the reads cost: the bandwidth a gather of those
// rows can reach, without any attention arithmetic.
constexpr int HEAD_DIM = 128, LANES_PER_ROW = HEAD_DIM / 8, ROWS_PER_STEP = 32 / LANES_PER_ROW, UNROLL = 16;

// rows [n]: absolute row numbers (head * context + position; ascending within a head). CTA c
// takes rows [c * chunk, (c + 1) * chunk); a lane group loads UNROLL rows' ids, then their K and
// V words together (UNROLL x 2 x 16 bytes a lane in flight).
extern "C" __global__ void __launch_bounds__(256) read_rows(
    const uint4* __restrict__ k, const uint4* __restrict__ v, const int* __restrict__ rows, int n, int chunk,
    unsigned* __restrict__ sink) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    const int sub = lane / LANES_PER_ROW, part = lane % LANES_PER_ROW;
    const int begin = blockIdx.x * chunk, end = min(n, begin + chunk);
    unsigned acc = 0;
    for (int base = begin + warp * ROWS_PER_STEP * UNROLL; base < end; base += warps * ROWS_PER_STEP * UNROLL) {
        int id[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int i = base + u * ROWS_PER_STEP + sub;
            id[u] = i < end ? rows[i] : -1;
        }
        uint4 kr[UNROLL], vr[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const size_t at = (size_t)(id[u] < 0 ? 0 : id[u]) * LANES_PER_ROW + part;
            kr[u] = id[u] >= 0 ? k[at] : make_uint4(0, 0, 0, 0);
            vr[u] = id[u] >= 0 ? v[at] : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) acc ^= kr[u].x ^ kr[u].y ^ kr[u].z ^ kr[u].w ^ vr[u].x ^ vr[u].y ^ vr[u].z ^ vr[u].w;
    }
    sink[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = acc;
}
