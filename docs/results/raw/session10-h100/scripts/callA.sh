#!/usr/bin/env bash
# tune the attention families for build b (session 9 final) and n (ring) from session 9's cache; kernel probe of mma 1 vs 2
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
out=$1; mkdir -p $out /tmp/x; tar xzf .carry/tune/tunecache-s9c.tgz -C /tmp/x
rm -rf /tmp/tb /tmp/tn; cp -r /tmp/x/tuneC /tmp/tb; cp -r /tmp/x/tuneC /tmp/tn
( time SDEC_TUNE_DIR=/tmp/tb .carry/b/sdec tune --family gather_attention,decode_attention --json $out/tune-b.json ) > $out/tune-b.md 2>&1; tail -3 $out/tune-b.md
( time SDEC_TUNE_DIR=/tmp/tn .carry/n/sdec tune --family gather_attention,decode_attention --json $out/tune-n.json ) > $out/tune-n.md 2>&1; grep -E "^\||real" $out/tune-n.md | cut -c1-200
args() { for c in "$@"; do IFS=, read -r t s u m <<< "$c"; printf -- '--config {"threads":%s,"split_tokens":%s,"unroll":%s,"mma":%s} ' "$t" "$s" "$u" "$m"; done; }
g=(128,512,1,1 256,512,1,1 128,256,1,1 128,1024,1,1 128,512,2,2 256,1024,2,2 128,288,2,2 256,512,2,2 128,256,2,2 128,1024,2,2 128,512,2,0)
.carry/n/sdec bench kernels --family gather_attention $(args "${g[@]}") --json $out/g18.json > $out/g18.md 2>&1
python3 - $out <<'PY'
import json,sys
for r in json.load(open(f"{sys.argv[1]}/g18.json"))["rows"]:
    print(r["kernel"], r["shape"], "floor", round(r["floor_us"],1))
    for c,t in sorted(r["timings"], key=lambda x:x[1])[:6]: print("   %7.1f  %s" % (t, c))
PY
tar czf $out/tunes.tgz -C /tmp tb tn
