#!/usr/bin/env python3
"""Where `linear`'s loads sit in its SASS, without a GPU: renders a b1 configuration of each
linear.cu given (default: kernels-gen/cuda/linear.cu) as regs.py does, disassembles the CUBIN and
prints its global loads (weights `LDG.E.EF`, inputs `LDG.E.128.CONSTANT`), branches and the
predecessor wait (`ACQBULK`) in program order, so one sees how many of a loop step's loads are
issued before the first product uses one (docs/status.md, session 24's view).

  LD_LIBRARY_PATH=.sdec/nvrtc/nvidia/cu13/lib python3 benches/linear_micro/sass_loads.py [--case NAME] [FILE.cu ...]"""
import argparse
import os
import pathlib
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from regs import CASES, ROOT, dump  # noqa: E402

MARKS = re.compile(r"LDG|ACQBULK|BRA|EXIT|PREEXIT")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", default="o rows 1 unroll 4 t256", choices=list(CASES))
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    for path in args.files or [str(ROOT / "kernels-gen" / "cuda" / "linear.cu")]:
        sass = dump(pathlib.Path(path).read_text(), CASES[args.case], "-sass")
        print(f"== {path} ({args.case})")
        for line in sass.splitlines():
            if MARKS.search(line):
                print("   ", line.split(";")[0].strip())


if __name__ == "__main__":
    main()
