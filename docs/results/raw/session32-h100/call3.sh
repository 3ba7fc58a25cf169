# Session 32, call 3 (build s32c = s32b + SPECPREP=1: descent hands over the next line beside each candidate of a move, and a walk its next value, while it measures them; the rest as call 2, a trace of the tuner's compile waits, SDEC_TUNE_TRACE, and
# two experiment switches of descent's compiles ahead: LATEPREP=1 hands a start's lines over only
# once it is descended from, AHEADN=1 compiles the first start's lines alone at an entry's start):
# an exhaustive run (warms the machine), three descents at --descent-fraction 0.1 (as built,
# SPECPREP=1, SPECPREP=1 LATEPREP=1), then a warm exhaustive run as the reference time.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32c/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c3; rm -rf $o; mkdir -p $o
# t NAME "VAR=VALUE ..." STRATEGY
t() { local n=$1 vars=$2 s=$3 t0=$(date +%s%N); env $vars $b/sdec tune --family all --shapes standard --strategy $s --cache $o/cache-$n --budget-s 150 > $o/$n.md 2> $o/$n.log; echo "$n: exit $? $(( ($(date +%s%N) - t0) / 1000000 )) ms: $vars --strategy $s"; grep "wall time" $o/$n.md; }
t exhaustive "X=1" exhaustive
t descent "SDEC_TUNE_TRACE=1" "descent --descent-fraction 0.1"
t descent-spec "SDEC_TUNE_TRACE=1 SPECPREP=1" "descent --descent-fraction 0.1"
t descent-spec-late "SDEC_TUNE_TRACE=1 SPECPREP=1 LATEPREP=1" "descent --descent-fraction 0.1"
t exhaustive2 "X=1" exhaustive
for n in descent descent-spec descent-spec-late; do echo "$n: waits $(grep -c 'trace wait' $o/$n.log), sum $(grep 'trace wait' $o/$n.log | awk '{s+=$3} END {print s}') ms"; grep 'trace wait' $o/$n.log | sort -k3 -n -r | head -4; done
for c in $o/cache-*; do n=$(basename $c); gzip -c $c/tune.json > $o/tune-${n#cache-}.json.gz; done
rm -rf $o/cache-*; tar czf $OUT/c3.tgz -C /tmp c3
