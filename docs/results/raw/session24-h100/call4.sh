#!/usr/bin/env bash
# Session 24 call 4: `linear` on CUDA cores as a programmatic dependent (its first weights loaded
# before it waits; the next launch allowed once its weights are read), switched by SDEC_LINEAR_PDL
# in one binary: correctness (fuzz, `sdec check` eager and in a graph), then one tuned and refined
# cache (PDL off) and `bench decode` at 128K alternating off / on twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
S=/tmp/s24/sdec; mkdir -p /tmp/s24 && gunzip -c .carry/s24/sdec.gz > $S && chmod +x $S
o=/tmp/c4; rm -rf $o; mkdir -p $o/tune; export SDEC_TUNE_DIR=$o/tune
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
SDEC_LINEAR_PDL=1 timeout 90 $S fuzz --family linear --cases 300 --seed 2401 > $o/fuzz.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz.txt)"
SDEC_LINEAR_PDL=1 timeout 120 $S check --model synthetic:tiny --policy full --policy lychee --policy specattn --graph > $o/check.txt 2>&1; echo "check rc $?"; grep -iE "max|pass|fail|ok" $o/check.txt | tail -8
s=$(date +%s); timeout 200 $S tune --family all > $o/tune-all.txt 2>&1; echo "tune rc $? in $(( $(date +%s) - s )) s"
for p in full "$lychee"; do n=${p%%:*}; timeout 100 $S tune --refine "$p" > $o/refine-$n.txt 2>&1; echo "refine $n rc $?"; done
for r in 1 2; do for pdl in 0 1; do
  SDEC_LINEAR_PDL=$pdl timeout 100 $S bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1,2 --policy full --policy "$lychee" \
      --steps 32 --warmup 5 --launch graph --json $o/decode-$pdl-$r.json > $o/decode-$pdl-$r.txt 2>&1
  echo "round $r pdl $pdl rc $?"; grep -E "^\| (full|lychee)" $o/decode-$pdl-$r.txt | cut -c1-140
done; done
tar czf $OUT/c4.tgz --exclude=cubin -C /tmp c4
