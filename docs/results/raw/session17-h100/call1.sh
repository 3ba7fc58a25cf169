#!/usr/bin/env bash
# Session 17 call 1: where the tuner's verification time goes (phases split: NVRTC / loading,
# GPU runs / CPU checks), descent on fresh caches with lazy and eager module loading; then the
# b2 LycheeDecode step's kernel timeline (benches/step_timeline.sh).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
S=.carry/s17a/sdec
o=/tmp/c1; mkdir -p $o
run() { local name=$1; shift; local t0=$(date +%s%N)
  "$@" --family all --shapes standard --strategy descent --cache $o/cache-$name --budget-s 150 --json $o/$name.json > $o/$name.md 2> $o/$name.log
  echo "$name: exit $? $(( ($(date +%s%N) - t0) / 1000000 )) ms"; tail -n 2 $o/$name.md; }
run lazy1 $S tune
CUDA_MODULE_LOADING=EAGER run eager $S tune
run lazy2 $S tune
SDEC=$S timeout 200 benches/step_timeline.sh $o/timeline lychee:heads=docs/results/llama8b-heads-9pct.json 2; echo "timeline: exit $?"
tail -n 5 $o/timeline/run-b2.txt 2>/dev/null
tar czf $OUT/call1.tgz --exclude='cache-*' -C /tmp c1
