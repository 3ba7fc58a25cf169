#!/usr/bin/env bash
# Session 18 call 2, on main as it lands (1a280cd's code: the Split inputs left on a branch):
# the GPU test binaries (session 17's last change, afbc5b2, was not run on a GPU), and Nsight
# Compute on SpecAttn's draft gather (`attend` of "9175 tokens", the tuned ring configuration and
# the best CUDA-core one) for the next attempt at its ~7 µs a layer above the rows' read floor.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=$PWD/.carry/s18b
o=/tmp/c2; mkdir -p $o
$C/gpu_tests.sh $o/tests; echo "gpu_tests: exit $?"
for v in "ring:{\"fill\":0,\"mma\":2,\"split_tokens\":1024,\"threads\":256,\"unroll\":2}" "cuda:{\"fill\":1,\"mma\":0,\"split_tokens\":1024,\"threads\":256,\"unroll\":2}"; do
    name=${v%%:*}; cfg=${v#*:}
    SDEC=$C/sdec SHAPE="9175 tokens" CONFIG="$cfg" timeout 150 benches/ncu_mixed_gather.sh $o/ncu-$name > /dev/null 2>&1
    echo "ncu $name exit $?"
    grep -E "Duration|DRAM Throughput|Memory Throughput|Achieved Occupancy|Registers Per|Grid Size|No Eligible|Issued Warp|Waves Per SM|L2 Hit" $o/ncu-$name/details.txt | head -14
    grep -B1 -A1 "Warp Cycles Per Issued" $o/ncu-$name/details.txt | head -4
    grep -E "^\|" $o/ncu-$name/run.txt | head -4
done
tar czf $OUT/call2.tgz -C /tmp c2
