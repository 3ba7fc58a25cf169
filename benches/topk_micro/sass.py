#!/usr/bin/env python3
"""SASS of a top-k variant's kernel without a GPU: NVRTC (the project's, from scripts/setup.sh)
compiles the rendered source to a cubin, which cuobjdump disassembles (it runs nvdisasm; both from
PyPI: nvidia-cuda-cuobjdump, nvidia-cuda-nvdisasm).

  LD_LIBRARY_PATH=$(scripts/setup.sh | tail -1) python3 benches/topk_micro/sass.py [VARIANT.cu] [--kernel NAME] [--full]

Prints the kernel's instruction count, its barriers, shuffles and reductions (and the listing
with --full)."""
import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from render import OPTIONS, render  # noqa: E402


def cubin(source):
    nvrtc = ctypes.CDLL("libnvrtc.so.13")
    prog = ctypes.c_void_p()
    check = lambda rc, what: rc == 0 or sys.exit(f"nvrtc {what} failed: {rc}")
    check(nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"topk.cu", 0, None, None), "create")
    opts = (ctypes.c_char_p * len(OPTIONS))(*[o.encode() for o in OPTIONS])
    rc = nvrtc.nvrtcCompileProgram(prog, len(OPTIONS), opts)
    if rc != 0:
        size = ctypes.c_size_t()
        nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        nvrtc.nvrtcGetProgramLog(prog, log)
        sys.exit(log.value.decode())
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetCUBINSize(prog, ctypes.byref(size))
    out = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetCUBIN(prog, out)
    return out.raw


def cuobjdump():
    found = shutil.which("cuobjdump")
    if found:
        return found
    import nvidia  # the pip package's namespace

    for base in nvidia.__path__:
        for root, _, files in os.walk(base):
            if "cuobjdump" in files:
                return os.path.join(root, "cuobjdump")
    sys.exit("cuobjdump not found: pip install nvidia-cuda-cuobjdump")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("variant", nargs="?")
    ap.add_argument("--kernel", default="topk_resident")
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(cubin(render(args.variant)))
        f.flush()
        tool = cuobjdump()
        env = dict(os.environ, PATH=os.path.dirname(tool) + os.pathsep + os.environ.get("PATH", ""))  # it runs nvdisasm
        sass = subprocess.run([tool, "-sass", "-fun", args.kernel, f.name], capture_output=True, text=True, env=env).stdout
    body = [l for l in sass.splitlines() if re.match(r"\s+/\*[0-9a-f]{4}\*/", l)]
    ops = [re.sub(r"^\s+/\*[0-9a-f]+\*/\s+(@!?U?P\w+\s+)?", "", l).split(" ")[0] for l in body]
    count = lambda prefix: sum(op.startswith(prefix) for op in ops)
    print(f"{args.kernel}: {len(ops)} instructions, BAR {count('BAR')}, SHFL {count('SHFL')}, "
          f"REDUX {count('REDUX')}, VOTE {count('VOTE')}, ATOMS {count('ATOMS')}, LDS {count('LDS')}, "
          f"STS {count('STS')}, LDG {count('LDG')}, STG {count('STG')}, BRA {count('BRA')}")
    if args.full:
        print("\n".join(body))


if __name__ == "__main__":
    main()
