"""Renders a top-k source variant the way `sdec` does (constants, common.cuh, the family file), so
the micro-benchmark (run.py, on the GPU machine) and the SASS reader (sass.py, here) compile the
same text. A variant is a copy of kernels-gen/cuda/topk.cu with its kernels changed."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMON = ROOT / "kernels-gen" / "cuda" / "common.cuh"
FAMILY = ROOT / "kernels-gen" / "cuda" / "topk.cu"

# The configuration that wins [64 x 2048] k = 64 (kernels.md, session 12).
RESIDENT_512x4 = dict(THREADS=512, ITEMS=4, CTAS_PER_ROW=1, AGGREGATE=False, STRATEGY=3, DIGIT_BITS=11)


def render(variant=None, extra="", **constants):
    consts = dict(RESIDENT_512x4, **constants)
    lines = [f"constexpr {'bool' if isinstance(v, bool) else 'int'} {k} = {str(v).lower()};" for k, v in consts.items()]
    body = pathlib.Path(variant or FAMILY).read_text()
    # The same text as `KernelFamily::render` after its header line (tests/tests/topk_micro_tools.rs).
    return "\n".join(lines) + "\n" + COMMON.read_text() + "// ---- cuda/topk.cu ----\n" + body + extra


OPTIONS = ["--gpu-architecture=sm_90", "--std=c++17", "-default-device"]
