#!/usr/bin/env bash
# Session 27 call 1. Builds: s27m (main 4e7ab5c), s27a (the selection enqueued before the host
# reads j: device-side budget in spec_tokens; argmax over 16 CTAs a row). Fuzz of the changed
# families, the GPU tests, then session 26 call 4's refined cache (stale entries re-tuned) and
# SpecAttn's round at 128K b1 (6 tokens kept) and `full` b1 on each build (call 2 repeats them
# and traces a round).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o/tune
for b in s27m s27a; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
A=/tmp/s27a/sdec
timeout 90 $A fuzz --family spec --cases 600 --seed 2701 > $o/fuzz-spec.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 $o/fuzz-spec.txt)"
timeout 90 $A fuzz --family argmax --cases 400 --seed 2701 > $o/fuzz-argmax.txt 2>&1; echo "argmax fuzz rc $?: $(tail -1 $o/fuzz-argmax.txt)"
grep -m3 FAIL $o/fuzz-*.txt
mkdir -p /tmp/t && cp benches/gpu_tests.sh /tmp/t/ && for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/s27a/tests/$t.gz > /tmp/t/$t; chmod +x /tmp/t/$t; done
bash /tmp/t/gpu_tests.sh $o/tests
cp .carry/c26tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
for b in s27a s27m; do s=$(date +%s); timeout 200 /tmp/$b/sdec tune --family all > $o/tune-all-$b.txt 2>&1; echo "$b tune all exit $? in $(( $(date +%s) - s )) s"; done
grep -E "argmax" $o/tune-all-s27a.txt | cut -c1-150
for r in 1; do for b in s27m s27a; do
  timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy full --policy specattn \
    --steps 16 --warmup 3 --launch graph --json $o/dec-$b-$r.json > $o/dec-$b-$r.txt 2>&1
  echo "$b run $r exit $?: $(grep -E '^\| (full|specattn)' $o/dec-$b-$r.txt | cut -c1-60 | tr '\n' ' ')"; grep -A3 "SpecAttn rounds" $o/dec-$b-$r.txt | tail -1
done; done
rm -rf $o/tune/cubin; tar czf $OUT/c1.tgz -C /tmp c1
