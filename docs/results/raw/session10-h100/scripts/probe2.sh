#!/usr/bin/env bash
# usage: probe2.sh SDEC OUT : per-config times of gather/decode with --json
set -u
sdec=$1; out=$2; mkdir -p $out
args() { for c in "$@"; do IFS=, read -r t s u m <<< "$c"; printf -- '--config {"threads":%s,"split_tokens":%s,"unroll":%s,"mma":%s} ' "$t" "$s" "$u" "$m"; done; }
gather=(128,512,2,0 128,288,2,0 128,144,2,0 128,256,2,2 128,512,2,2 128,1024,2,2 128,2048,2,2 128,512,4,2 128,1024,4,2 256,512,2,2 256,1024,2,2 256,2048,2,2 128,288,2,2 128,144,2,2 128,144,4,2 128,288,4,2)
decode=(256,1024,2,0 256,1024,2,2 128,1024,2,2 256,2048,2,2 128,2048,2,2 128,1024,4,2 128,512,2,2 256,4096,2,2)
[ -n "${FUZZ:-}" ] && { timeout 200 $sdec fuzz --family gather_attention --family decode_attention --cases ${CASES:-400} --seed ${SEED:-1001} > $out/fuzz.txt 2>&1; echo "fuzz rc $?"; grep -E "FAIL" $out/fuzz.txt | head -5 | cut -c1-400; tail -1 $out/fuzz.txt; }
$sdec bench kernels --family gather_attention --shape "b1 32q" $(args "${gather[@]}") --json $out/gather.json > $out/gather.md 2>&1
$sdec bench kernels --family decode_attention --shape "b1 32q" $(args "${decode[@]}") --json $out/decode.json > $out/decode.md 2>&1
python3 - $out <<'PY'
import json,sys
for f in ("gather","decode"):
    for r in json.load(open(f"{sys.argv[1]}/{f}.json"))["rows"]:
        print(r["kernel"], r["shape"], "floor", round(r["floor_us"],1))
        for c,t in sorted(r["timings"], key=lambda x:x[1]): print("   %7.1f  %s" % (t, c))
PY
