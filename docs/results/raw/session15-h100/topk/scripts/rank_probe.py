"""Session 15: a copy of topk.cu whose rank path records clock64 stamps (thread 0 of each CTA):
0 entry, 1 after the warp bounds, 2 after the bounds' barrier, 3 after pack's count barrier,
4 after pack's candidate barrier, 5 ranks done (before the k-th's barrier), 6 after it,
7 counts done (before the write), 8 end.  python3 rank_probe.py IN.cu OUT.cu"""
import sys
s = open(sys.argv[1]).read()
DECL = """__device__ unsigned long long sdec_probe[64 * 16];
#define SDEC_STAMP(i) do { if (threadIdx.x == 0 && blockIdx.x < 64) sdec_probe[blockIdx.x * 16 + (i)] = clock64(); } while (0)
"""
def sub(old, new, start=0):
    global s
    i = s.index(old, start)
    s = s[:i] + new + s[i + len(old):]
    return i
i = s.index("constexpr int RANK_CAP")
s = s[:i] + DECL + s[i:]
j = sub("    if (lane == 0) counts[warp] = warp_total;\n    __syncthreads();\n",
        "    if (lane == 0) counts[warp] = warp_total;\n    __syncthreads();\n    SDEC_STAMP(3);\n", i)
sub("    __syncthreads();\n    return total;", "    __syncthreads();\n    SDEC_STAMP(4);\n    return total;", j)
j = s.index("rank_select_write(", j)  # the rank path's first barrier, then its last return
j = sub("    __syncthreads();\n", "    SDEC_STAMP(5);\n    __syncthreads();\n    SDEC_STAMP(6);\n", j)
last = "    if (!holds) return;" if "    if (!holds) return;" in s else "    const u32 i = threadIdx.x;\n    if (i >= total) return;"
sub(last, "    SDEC_STAMP(7);\n" + last, j)
end = s.index("\n}\n", s.index("    if (pos != ~0u) {", j))
sub("\n}\n", "\n    SDEC_STAMP(8);\n    if (threadIdx.x == 0) sdec_probe[blockIdx.x * 16 + 15] = 9;\n}\n", end)
k = s.index('topk_resident(')
sub("    u32 key[ITEMS], valid = 0;\n", "    u32 key[ITEMS], valid = 0;\n    SDEC_STAMP(0);\n", k)
sub("        warp_bound(key, valid, c, bound, high);\n", "        warp_bound(key, valid, c, bound, high);\n        SDEC_STAMP(1);\n", k)
sub("    __syncthreads();\n", "    __syncthreads();\n    SDEC_STAMP(2);\n", k)
open(sys.argv[2], "w").write(s)
