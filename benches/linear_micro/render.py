"""Renders a `linear` source variant the way `sdec` does (constants, common.cuh, the family file),
and enumerates the family's valid configurations, so that the micro-benchmark (run.py, on the GPU
machine) measures what `sdec` would compile; tests/tests/linear_micro_tools.rs keeps both true."""
import itertools
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMON = ROOT / "kernels-gen" / "cuda" / "common.cuh"
FAMILY = ROOT / "kernels-gen" / "cuda" / "linear.cu"


def render(variant, consts):
    """The text `Linear::render` gives after its header line: constants, common.cuh, the family."""
    lines = "".join(f"constexpr int {k} = {int(v)};\n" for k, v in consts.items())
    body = pathlib.Path(variant or FAMILY).read_text()
    return lines + COMMON.read_text() + "// ---- cuda/linear.cu ----\n" + body


def ctas(out_dim, threads, rows, mma):
    return -(-out_dim // (rows * 16)) if mma else -(-out_dim // (threads // 32 * rows))


def space(batch, out_mode, fixed):
    """The family's valid configurations (linear.rs's constraints), those in `fixed` pinned."""
    for threads, rows, unroll, mma in itertools.product([256, 128, 512], [2, 1, 4], [4, 2, 8], [0, 1]):
        c = dict(THREADS=threads, ROWS=rows, UNROLL=unroll, MMA=mma)
        if any(k in c and c[k] != v for k, v in fixed.items()):
            continue
        if mma and batch < 2 or not mma and batch > 2:
            continue
        if not mma and rows * batch > 32 or rows * unroll > 16 or mma and rows * unroll > 8:
            continue
        if mma and threads // 32 * rows * ((batch + 7) // 8) * 512 > 48 * 1024:
            continue
        if out_mode in (3, 4) and not mma and rows % 2:  # SwiGLU or rotation pairs
            continue
        yield c
