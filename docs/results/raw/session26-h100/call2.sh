#!/usr/bin/env bash
# Session 26 call 2 (.carry/s26d: chunk-stages + its head-dim-16 fix + `--spec-accepted`):
# chunk_attention and spec fuzz; every family tuned; SpecAttn's round at 128K, batch 1, timed
# with the acceptance random weights give (0) and forced to 6 tokens a round (the real-text one).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c2; rm -rf $o; mkdir -p $o/tune; b=s26d
mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
timeout 150 /tmp/$b/sdec fuzz --family chunk_attention --cases 600 --seed 2602 > $o/fuzz-chunk.txt 2>&1; echo "chunk fuzz rc $?: $(tail -1 $o/fuzz-chunk.txt)"
timeout 60 /tmp/$b/sdec fuzz --family spec --cases 300 --seed 2602 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
grep -m3 FAIL $o/fuzz-*.txt
export SDEC_TUNE_DIR=$o/tune
s=$(date +%s); timeout 230 /tmp/$b/sdec tune --family all > $o/tune-all.txt 2>&1; echo "tune all exit $? in $(( $(date +%s) - s )) s"
grep -E "q7" $o/tune-all.txt | cut -d'|' -f2-7
for a in 0 6; do
  timeout 120 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy specattn \
    --steps 16 --warmup 3 --launch graph --spec-accepted $a --json $o/spec-a$a.json > $o/spec-a$a.txt 2>&1
  echo "spec accepted $a exit $?"; grep -A3 "SpecAttn rounds" $o/spec-a$a.txt | tail -1
done
rm -rf $o/tune/cubin; tar czf $OUT/c2.tgz -C /tmp c2
