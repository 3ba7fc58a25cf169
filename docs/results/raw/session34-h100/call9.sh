# Session 34, call 9: the projections' weights loaded without allocating in L1 (variants/
# no_allocate.diff: `ld.global.nc.L1::no_allocate` instead of `__ldcs`), so that the inputs keep
# L1 when a step's TMA attention has left it small. (1) benches/linear_micro, the step's refined
# configurations, at the default carveout and at 64% shared (92 KB of L1, as after the 160-thread
# TMA attention); (2) the decode step: build s34e (09da238) against s34e-na (the same with the
# variant), call 7's refined cache re-keyed to each, alternating (benches/decode_ab.sh).
# (no_allocate.cu was kernels-gen/cuda/linear.cu of 09da238 with variants/no_allocate.diff applied.)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c9; rm -rf $o; mkdir -p $o/micro
V=docs/results/raw/session34-h100/variants
for cv in "" ",CARVEOUT=64"; do
    tag=${cv:+cv64}; tag=${tag:-cvdefault}
    timeout 100 python3 benches/linear_micro/run.py --runs 30 --shapes b1-down,b1-gate-up,b1-qkv,b1-o \
        main=-:MMA=0,ROWS=1,THREADS=512,UNROLL=4$cv na=$V/no_allocate.cu:MMA=0,ROWS=1,THREADS=512,UNROLL=4$cv > $o/micro/b1-$tag.txt 2>&1
    echo "micro b1 $tag exit $?"; grep -A12 "best per variant" $o/micro/b1-$tag.txt | grep -v torch
    timeout 100 python3 benches/linear_micro/run.py --runs 30 --shapes b7-gate-up,b7-down,b7-qkv \
        main=-:MMA=1,ROWS=1,UNROLL=2$cv na=$V/no_allocate.cu:MMA=1,ROWS=1,UNROLL=2$cv > $o/micro/b7-$tag.txt 2>&1
    echo "micro b7 $tag exit $?"; grep -A10 "best per variant" $o/micro/b7-$tag.txt | grep -v torch
done
b=/tmp/b; mkdir -p $b $o/base; for v in sdec sdec-na; do gunzip -c .carry/s34e/$v.gz > $b/$v && chmod +x $b/$v; done
gunzip -c docs/results/raw/session34-h100/call7/tune-all.json.gz > $o/base/tune.json
for v in sdec sdec-na; do python3 benches/cache_variant.py --rekey $b/$v $o/base $o/tune-$v || exit 1; done
FAMILIES="" BATCH=1 ROUNDS=2 STEPS=48 POLICIES="full lychee:heads=docs/results/llama8b-heads-9pct.json specattn" \
    timeout 330 bash benches/decode_ab.sh $b/sdec $o/tune-sdec $b/sdec-na $o/tune-sdec-na $o/ab
echo "ab exit $?"; grep -h "^| 1 |" $o/ab/decode-*.md
rm -rf $o/tune-*/cubin $o/base; tar czf $OUT/c9.tgz -C /tmp c9
