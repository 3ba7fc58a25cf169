#!/usr/bin/env bash
# Session 24 call 14: call 13's one fuzz failure (linear, seed 2413, case 99) on the main build
# (.carry/s24f: `cargo build --release` on main, stripped and gzipped) and on the branch build
# (.carry/s24h: the same on branch `mma-pdl`), three times each. Not run in session 24.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
for b in s24f s24h; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
for r in 1 2 3; do for b in s24f s24h; do
  echo "$b run $r: $(timeout 20 /tmp/$b/sdec fuzz --family linear --seed 2413 --case 99 2>&1 | grep -E 'FAIL|passed' | head -2 | tr '\n' ' ')"
done; done
