#!/usr/bin/env bash
# Session 17 call 5: (1) does NVRTC scale over threads? `sdec kernels compile --family linear`
# (239 configurations) with 1, 4, 8 and 16 rayon threads, and four processes of 4 threads side by
# side; (2) benches/topk_check.sh on the build whose top-k sources carry only the strategy's
# kernels (fuzz 3000, the benchmark beside torch.topk, compute-sanitizer, ncu).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17d/sdec
o=/tmp/c5; mkdir -p $o
nproc | tee $o/scaling.txt
for t in 1 4 8 16; do /usr/bin/time -f "threads $t: %e s wall, %U s user, %S s sys" env RAYON_NUM_THREADS=$t $S kernels compile --family linear 2>&1 | tail -1 | tee -a $o/scaling.txt; done
/usr/bin/time -f "4 processes x 4 threads (linear each): %e s wall" bash -c "for i in 1 2 3 4; do RAYON_NUM_THREADS=4 $S kernels compile --family linear > /dev/null 2>&1 & done; wait" 2>&1 | tee -a $o/scaling.txt
cp $S benches/sdec
timeout 420 benches/topk_check.sh $o/topk > $o/topk.txt 2>&1; echo "topk_check: exit $?"; tail -n 30 $o/topk.txt
tar czf $OUT/call5.tgz -C /tmp c5
