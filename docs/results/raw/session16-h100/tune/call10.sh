#!/usr/bin/env bash
# Session 16 call 10: the tuner's figures with the gather family's grown space (`fill`: 88 -> 110
# configurations a non-scoring shape): benches/tune.sh on this build (exhaustive fresh, descent,
# exhaustive again, the cached rerun, the referee), caches left out of the tarball.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
SDEC=.carry/s16d/sdec TUNE_BUDGET_S=200 timeout 590 benches/tune.sh /tmp/tune16
tar czf $OUT/tune16.tgz --exclude='cache-*' -C /tmp tune16
