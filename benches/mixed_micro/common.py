"""What run.py and run_attend.py share: the kernels' source as compiled (ring.cuh first), and
timing a launch as a CUDA graph of LAUNCHES launches over the row sets in turn (so the host's
launch latency is not timed and L2 holds no set's rows), per launch."""
import argparse
import ctypes
import os

import cupy as cp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHES = 16


def source(name):
    """ring.cuh, then the file: what CuPy hands NVRTC (tests/tests/mixed_micro_tools.rs too)."""
    with open(os.path.join(HERE, "ring.cuh")) as ring, open(os.path.join(HERE, name)) as body:
        return ring.read() + body.read()


def kernel(name, function, defines):
    """`function` of `name` compiled for sm_90 with -D`defines`."""
    options = ("--std=c++17", "-arch=sm_90") + tuple(f"-D{key}={val}" for key, val in defines.items())
    return cp.RawModule(code=source(name), options=options).get_function(function)


def graph_times(stream, launch, sets, runs):
    """Per-launch µs of `runs` graph launches (after 2 warm-up ones), each graph LAUNCHES
    launches of `launch(i % sets)`."""
    with stream:
        stream.begin_capture()
        for i in range(LAUNCHES):
            launch(i % sets)
        graph = stream.end_capture()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    times = []
    for run in range(2 + runs):
        start.record(stream)
        graph.launch(stream)
        stop.record(stream)
        stop.synchronize()
        if run >= 2:
            times.append(cp.cuda.get_elapsed_time(start, stop) * 1000.0 / LAUNCHES)
    return times


def tensor_map_rows(ptr, rows, row_bytes, box_rows):
    """A TMA tensor map (the driver's 128 bytes) over `rows` rows of `row_bytes` at device address
    `ptr`, in 16-bit elements: boxes of `box_rows` rows x 128 bytes, 128-byte swizzle."""
    driver = ctypes.CDLL("libcuda.so.1")
    raw = ctypes.create_string_buffer(128 + 64)
    at = (ctypes.addressof(raw) + 63) // 64 * 64  # CUtensorMap is 64-byte aligned
    dims = (ctypes.c_uint64 * 2)(row_bytes // 2, rows)
    strides = (ctypes.c_uint64 * 1)(row_bytes)
    box = (ctypes.c_uint32 * 2)(64, box_rows)
    steps = (ctypes.c_uint32 * 2)(1, 1)
    # uint16 elements, rank 2, no interleave, 128-byte swizzle, 256-byte L2 promotion, no OOB fill.
    rc = driver.cuTensorMapEncodeTiled(ctypes.c_void_p(at), 1, 2, ctypes.c_void_p(ptr), dims, strides, box, steps, 0, 3, 3, 0)
    if rc != 0:
        raise RuntimeError(f"cuTensorMapEncodeTiled failed with CUresult {rc}")
    return ctypes.string_at(at, 128)


def summary(times):
    return {"median_us": float(np.median(times)), "p10_us": float(np.percentile(times, 10))}


def start(description):
    """The scripts' arguments (--runs, --json) and the GPU: (args, SM count, name)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json")
    args = ap.parse_args()
    dev = cp.cuda.Device()
    return args, dev.attributes["MultiProcessorCount"], cp.cuda.runtime.getDeviceProperties(dev.id)["name"].decode()
