# Session 35, call 3: where call 2's 3.7 ms of selection goes. CUPTI kernel timeline of SpecAttn
# rounds (b1 128K) on build s35b with call 2's cache (session 34 call 12's, re-keyed, chunk
# buckets without `logits`); every kernel's duration from the trace CSV.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
o=/tmp/c3; rm -rf $o; mkdir -p $o/base
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s35b/sdec.gz > $b/sdec-b && chmod +x $b/sdec-b
gunzip -c docs/results/raw/session34-h100/call12/fig/tune-all.json.gz > $o/base/tune.json
python3 benches/cache_variant.py --rekey $b/sdec-b $o/base $o/tune || exit 1
python3 - $o/tune/tune.json <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for e in d["entries"]:
    if e["key"]["family"] == "chunk_attention":
        b = json.loads(e["key"]["bucket"]); b.pop("logits", None); e["key"]["bucket"] = json.dumps(b, separators=(",", ":"))
        e["shape"].pop("logits", None)
json.dump(d, open(p, "w"))
PY
SDEC_TUNE_DIR=$o/tune PASSES=7 TAG=spec SDEC=$b/sdec-b timeout 200 bash benches/cupti_trace/run.sh $o/trace specattn 1 128k > $o/summary.txt 2>&1
echo "trace exit $?"; head -40 $o/summary.txt
python3 - $o/trace/trace-b1-spec.csv <<'PY'
import csv, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1])))
d = defaultdict(list)
for r in rows:
    if r["name"].startswith(("spec_", "topk", "radix", "select")) or "topk" in r["name"]:
        d[r["name"]].append((int(r["end_ns"]) - int(r["start_ns"])) / 1e3)
for n, v in sorted(d.items()):
    v.sort(); print(f"{n}: {len(v)} launches, median {v[len(v)//2]:.1f} us, max {v[-1]:.1f} us")
PY
gzip $o/trace/*.csv; rm -rf $o/tune/cubin $o/base $o/trace/*.so; tar czf $OUT/c3.tgz -C /tmp c3
