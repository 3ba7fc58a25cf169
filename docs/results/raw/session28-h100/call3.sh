# Session 28, call 3: compute-sanitizer memcheck and racecheck on every family's default
# configuration (case 0), plus the tensor-core and TMA paths of the attention families, linear's
# tensor-core path and every top-k strategy; eight runs side by side.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
b=/tmp/b; mkdir -p $b
for f in .carry/s28a/*.gz; do n=$(basename $f .gz); gunzip -c $f > $b/$n; chmod +x $b/$n; done
o=$OUT/call3; mkdir -p $o/logs
san="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
jobs=""
for f in topk block_score decode_attention gather_attention chunk_attention rmsnorm rope swiglu kv_append argmax rope_append embed advance spin synth_weights lychee_index spec quest lfps linear; do jobs="$jobs $f:0"; done
# gather 3: mma 2 (ring); 140: mma 3 (TMA); decode 1: mma 2; linear 1: mma 1; top-k 1, 2 RESIDENT,
# 6 MULTI, 7 and 223 CLUSTER (declaration order; case i takes configuration i mod |space|).
jobs="$jobs gather_attention:3 gather_attention:140 decode_attention:1 linear:1 topk:1 topk:2 topk:6 topk:7 topk:223"
run() {
    tool=$1; fam=${2%%:*}; case=${2##*:}
    log=$o/logs/$tool-$fam-$case.txt
    timeout 300 "$san" --tool $tool --error-exitcode 9 $b/sdec fuzz --family $fam --case $case --seed 5 --max-size 200000 > $log 2>&1
    echo "$tool $fam case $case: exit $? | $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $log | head -1) | $(grep -E 'passed,' $log | tail -1)"
}
export -f run; export o b san
t0=$(date +%s)
for t in memcheck racecheck; do for j in $jobs; do echo "$t $j"; done; done | xargs -P 8 -L 1 bash -c 'run $0 $1' | sort > $o/summary.txt
echo "[$(( $(date +%s) - t0 )) s] $(grep -c ': exit 0 ' $o/summary.txt) of $(wc -l < $o/summary.txt) runs exit 0"
grep -v ': exit 0 ' $o/summary.txt
cd $o && tar czf $OUT/call3.tgz . && cd - >/dev/null
