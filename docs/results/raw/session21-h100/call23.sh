#!/usr/bin/env bash
# Session 21 call 23 (carry .carry/s21f, the final build): exhaustive twice (fresh, then warm),
# descent with smaller budgets (fraction 0.2 and 0.15, min 12 as default), each refereed against
# the first exhaustive cache.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
C=/tmp/s21f; mkdir -p $C; cp .carry/s21f/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
cd /tmp && mkdir -p r23 && cd r23
T="tune --family all --shapes standard --budget-s 200"
run() { local name=$1; shift; t0=$(date +%s%N); $C/sdec $T "$@" > $name.md 2> $name.log; echo "$name: exit $?, $(( ($(date +%s%N) - t0) / 1000000 )) ms: sdec $T $*" | tee -a commands.txt; tail -2 $name.md; }
run exhaustive --strategy exhaustive --cache /tmp/r23/c-ex
run exhaustive2 --strategy exhaustive --cache /tmp/r23/c-ex2
for f in 0.2 0.15; do
    run descent-$f --strategy descent --descent-fraction $f --cache /tmp/r23/c-d$f
    $C/sdec tune --family all --shapes standard --cache /tmp/r23/c-ex --referee /tmp/r23/c-d$f > referee-$f.md 2>&1
    tail -1 referee-$f.md
    awk -F'|' 'NF>7 && $8+0 > 1.03 {print "  over 3%:", $2, $3, $8}' referee-$f.md
done
tar czf $OUT/r23.tgz *.md *.log commands.txt
