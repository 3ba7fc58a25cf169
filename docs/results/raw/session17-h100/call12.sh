#!/usr/bin/env bash
# Session 17 call 12: the final build (Job::of refactor of the compile call sites): fuzz through
# the worker pool, and a top-k tune (descent) into a fresh cache.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17i/sdec
timeout 100 $S fuzz --cases 300 --seed 1704 2>&1 | tail -n 1
timeout 100 $S tune --family topk --strategy descent --cache /tmp/c12 2>&1 | tail -n 3
