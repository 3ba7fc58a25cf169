#!/usr/bin/env bash
# Session 20 call 10: benches/linear_micro/tlb_probe.py — the b1 products with their weights warm
# from the previous launch, cold, and cold with one word of every 2 MB page loaded first.
python3 benches/linear_micro/tlb_probe.py --runs 40 --shapes b1-gate-up,b1-down,b1-qkv,b1-o --config t256r2u4 2>&1 | tee $OUT/tlb.txt
