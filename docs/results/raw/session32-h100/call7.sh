# Session 32, call 7 (build s32e): --resume after a budget stop, now that progress is saved every
# 2 s and when the budget stops a search: a descent of the linear family stopped after 3 s, resumed
# to the end; then the same again from scratch in a fresh cache, for comparison.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s32e/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c7; rm -rf $o; mkdir -p $o
$b/sdec tune --family linear --strategy descent --cache $o/r --budget-s 3 > $o/stopped.md 2> $o/stopped.log; echo "stopped: exit $?"
ls $o/r; grep -c '"index"' $o/r/progress.json
$b/sdec tune --family linear --strategy descent --cache $o/r --resume > $o/resumed.md 2> $o/resumed.log; echo "resumed: exit $?"
grep -E "^resume|interrupted" $o/stopped.md $o/resumed.log | head -5; tail -2 $o/stopped.md; tail -2 $o/resumed.md; ls $o/r
$b/sdec tune --family linear --strategy descent --cache $o/fresh > $o/fresh.md 2> $o/fresh.log; echo "fresh: exit $?"; tail -2 $o/fresh.md
python3 - <<'PY'
import json
a={e['label']:e['winner'] for e in json.load(open('/tmp/c7/r/tune.json'))['entries']}
b={e['label']:e['winner'] for e in json.load(open('/tmp/c7/fresh/tune.json'))['entries']}
print('entries', len(a), len(b), 'same winners', sum(a[k]==b.get(k) for k in a))
PY
tar czf $OUT/c7.tgz -C /tmp c7
