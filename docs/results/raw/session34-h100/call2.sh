# Session 34, call 2: what the seven-row products' input loads cost (benches/linear_micro): the
# tensor-core path as it is against a probe without x's loads (variants/no_x.diff; CHECK=0: its
# output is not the product), UNROLL 2 (every b7 winner's), every THREADS x ROWS.
# (no_x.cu was kernels-gen/cuda/linear.cu of 55f4ac4 with variants/no_x.diff applied.)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=$OUT/c2; mkdir -p $o
V=docs/results/raw/session34-h100/variants
timeout 500 python3 benches/linear_micro/run.py --runs 30 --shapes b7-gate-up,b7-qkv,b7-o,b7-down --json $o/no_x.json \
    main=-:MMA=1,UNROLL=2 no_x=$V/no_x.cu:MMA=1,UNROLL=2,CHECK=0 > $o/no_x.txt 2>&1
echo "micro exit $?"; grep -A20 "best per variant" $o/no_x.txt
