# Session 28, call 2: every family fuzzed on the final kernels, >= 10,000 cases in all, every
# configuration covered (case i takes configuration i mod |space|; counts >= space sizes), in four
# processes side by side (the references run on the CPU; correctness only, nothing is timed).
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28a/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
o=$OUT/call2; mkdir -p $o
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
fz() { name=$1; shift; timeout 540 $b/sdec fuzz "$@" --json $o/fuzz-$name.json > $o/fuzz-$name.txt 2>&1; echo "$name rc $? in $(( $(date +%s) - t0 )) s: $(tail -1 $o/fuzz-$name.txt)"; }
small=""
for f in rmsnorm rope swiglu kv_append argmax rope_append embed advance spin synth_weights lychee_index spec quest lfps; do small="$small --family $f"; done
fz topk --family topk --cases 3700 --seed 2821 &
fz gather --family gather_attention --cases 3300 --seed 2822 &
fz decode --family decode_attention --family block_score --cases 1600 --seed 2823 &
( fz linear --family linear --cases 720 --seed 2824; fz small $small --cases 450 --seed 2826 ) &
fz chunk --family chunk_attention --cases 510 --seed 2825 &
wait
stamp "all done"
grep -h "FAIL\|repro" $o/fuzz-*.txt | head -20
cd $o && tar czf $OUT/call2.tgz . && cd - >/dev/null
