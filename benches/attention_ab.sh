#!/usr/bin/env bash
# Two builds of the attention kernels side by side on the decode loop's shapes at 128K (the
# LycheeDecode layers, SpecAttn's draft gather, dense decode at batch 1): the new build's fuzz,
# then `sdec bench kernels` for the configurations near the tuned winners, builds alternating
# (A B A B) so that the machine's drift falls on both alike.
# Usage (on the GPU machine): benches/attention_ab.sh OLD_SDEC NEW_SDEC OUT_DIR
set -euo pipefail
old=${1:?usage: attention_ab.sh OLD_SDEC NEW_SDEC OUT_DIR}
new=${2:?usage: attention_ab.sh OLD_SDEC NEW_SDEC OUT_DIR}
out=${3:?usage: attention_ab.sh OLD_SDEC NEW_SDEC OUT_DIR}
mkdir -p "$out"
"$new" fuzz --family gather_attention --family decode_attention --cases "${CASES:-300}" --seed "${SEED:-301}" > "$out/fuzz.txt" 2>&1 || true
tail -1 "$out/fuzz.txt"
# threads, split_tokens, unroll, mma: the best few of each shape in earlier runs.
gather=(128,512,2,0 256,512,1,1 128,512,1,0 128,256,2,0 128,256,1,1 256,256,2,0 256,512,4,0 128,256,4,0 128,512,1,1 256,512,2,0)
decode=(256,1024,2,0 256,1024,4,0 256,1024,1,1 256,1024,1,0)
args() {
    for c in "$@"; do
        IFS=, read -r t s u m <<< "$c"
        printf -- '--config {"threads":%s,"split_tokens":%s,"unroll":%s,"mma":%s} ' "$t" "$s" "$u" "$m"
    done
}
for round in 1 2; do
    for build in old new; do
        sdec=$old; [ "$build" = new ] && sdec=$new
        # shellcheck disable=SC2046
        "$sdec" bench kernels --family gather_attention --shape "b1 32q" $(args "${gather[@]}") --json "$out/gather-$build-$round.json" > "$out/gather-$build-$round.md" 2>&1
        # shellcheck disable=SC2046
        "$sdec" bench kernels --family decode_attention --shape "b1 32q" $(args "${decode[@]}") --json "$out/decode-$build-$round.json" > "$out/decode-$build-$round.md" 2>&1
    done
done
python3 - "$out" <<'PY'
import json, sys, glob, collections
out = sys.argv[1]
best = collections.defaultdict(dict)
for f in sorted(glob.glob(f"{out}/*-*-*.json")):
    kind, build, rnd = f.rsplit("/", 1)[1][:-5].split("-")
    for r in json.load(open(f))["rows"]:
        key = (r["kernel"], r["shape"], round(r["floor_us"], 1))
        best[key].setdefault(build, []).append(min(t for _, t in r["timings"]))
print("| kernel | shape | floor µs | old best µs (per round) | new best µs (per round) |")
print("| --- | --- | --- | --- | --- |")
for (k, s, f), b in best.items():
    print(f"| {k} | {s} | {f} | {' / '.join(f'{x:.1f}' for x in b.get('old', []))} | {' / '.join(f'{x:.1f}' for x in b.get('new', []))} |")
PY
