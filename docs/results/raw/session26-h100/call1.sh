#!/usr/bin/env bash
# Session 26 call 1: chunk_attention's ring (branch chunk-stages, .carry/s26c: `stages` slots,
# one barrier a tile, ldmatrix fragments) against main (.carry/s26m): chunk_attention fuzz on the
# branch, then the family tuned alone on both (standard preset: b1-q7-ctx128k, b1-q7-ctx8k), twice.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c1; rm -rf $o; mkdir -p $o
for b in s26m s26c; do mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec; done
timeout 150 /tmp/s26c/sdec fuzz --family chunk_attention --cases 600 --seed 2601 > $o/fuzz-chunk.txt 2>&1; echo "fuzz rc $?: $(tail -1 $o/fuzz-chunk.txt)"
grep -m5 FAIL $o/fuzz-chunk.txt
for r in 1 2; do for b in s26m s26c; do
  timeout 100 /tmp/$b/sdec tune --family chunk_attention --cache $o/cache-$b-$r > $o/chunk-$b-$r.txt 2>&1
  echo "$b round $r rc $?"; grep -E "q7" $o/chunk-$b-$r.txt | cut -d'|' -f2-7
done; done
python3 - <<'PY'
import json
for b in ("s26m", "s26c"):
    d = json.load(open(f"/tmp/c1/cache-{b}-2/tune.json"))
    for e in d["entries"]:
        if "131072" not in e["key"]["bucket"]: continue
        ms = sorted((m for m in e.get("measured", []) if (m.get("result") or {}).get("median_us")), key=lambda m: m["result"]["median_us"])
        print(b, "best of", len(ms))
        for m in ms[:8]: print("  ", m["config"], round(m["result"]["median_us"], 1))
PY
rm -rf $o/cache-*/cubin; tar czf $OUT/c1.tgz -C /tmp c1
