#!/usr/bin/env bash
# The tuner's figures (docs/results/tune.md), in one run on the GPU machine (< 9 minutes on an H100):
#   1. sdec tune --family all, exhaustive, into a fresh cache (timed)
#   2. exhaustive again into a second cache (do two independent runs choose the same winners?)
#   3. the same with the descent strategy into a third cache (timed), after both: a fresh machine
#      compiles several times slower for its first minutes, and descent run second paid 28 s of
#      compile waits for 6.5 s on a warm machine (docs/results/tune.md, session 29)
#   4. run 1 again on its own cache: it must compile and time nothing
#   5. the referee: where descent's winner differs from run 1's, both timed side by side
#   6. with BUDGETS="FRACTION:MIN ...", a descent at each of those budgets, refereed the same way
# then compares them. With the sdec binary in $SDEC (default target/release/sdec):
#   benches/tune.sh OUTDIR          (DESCENT_ARGS: extra flags of the descent run, e.g. --descent-fraction 0.2;
#                                    BUDGETS: e.g. "0.2:8 0.15:6")
# Through the `device` tool, write OUTDIR outside $OUT and tar it into $OUT (without the caches):
# a call brings back only a limited number of files.
set -uo pipefail
out="${1:-.}"
sdec="${SDEC:-target/release/sdec}"
mkdir -p "$out"
rm -rf "$out"/cache-exhaustive "$out"/cache-descent "$out"/cache-exhaustive2 "$out"/cache-descent-*
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > "$out/gpu.txt" 2>&1 || true
cat "$out/gpu.txt"

step() {
  local name="$1"; shift
  local t0 t1 rc
  t0=$(date +%s%N)
  "$sdec" tune --family all --shapes standard "$@" --json "$out/$name.json" > "$out/$name.md" 2> "$out/$name.log"
  rc=$?
  t1=$(date +%s%N)
  printf '%s: exit %s, %s ms wall: %s %s\n' "$name" "$rc" "$(( (t1 - t0) / 1000000 ))" "$sdec tune --family all --shapes standard" "$*" | tee -a "$out/commands.txt"
  tail -n 3 "$out/$name.md"
}

: > "$out/commands.txt"
# Budgets keep the whole script under the machine's 10-minute limit even if a run is slow; an
# entry cut off shows as `interrupted` (the summary then says so).
budget="${TUNE_BUDGET_S:-200}"
step exhaustive --strategy exhaustive --cache "$out/cache-exhaustive" --budget-s "$budget"
step exhaustive2 --strategy exhaustive --cache "$out/cache-exhaustive2" --budget-s "$budget"
step descent --strategy descent ${DESCENT_ARGS:-} --cache "$out/cache-descent" --budget-s "$budget"
step again --strategy exhaustive --cache "$out/cache-exhaustive" --budget-s 5
# Where descent chose another winner than the exhaustive run, both winners timed again side by
# side (two runs' tables differ by the run-to-run noise of a few per cent).
referee() {
  local name="$1" other="$2"
  "$sdec" tune --family all --shapes standard --cache "$out/cache-exhaustive" --referee "$out/$other" \
      --json "$out/$name.json" > "$out/$name.md" 2> "$out/$name.log"
  echo "$name: exit $?: $sdec tune --family all --shapes standard --cache $out/cache-exhaustive --referee $out/$other" | tee -a "$out/commands.txt"
  tail -n 1 "$out/$name.md"
}
referee referee cache-descent
for b in ${BUDGETS:-}; do
  name="descent-${b%%:*}-${b##*:}"
  step "$name" --strategy descent --descent-fraction "${b%%:*}" --descent-min "${b##*:}" --cache "$out/cache-$name" --budget-s "$budget"
  referee "referee-$name" "cache-$name"
done

python3 "$(dirname "$0")/tune_compare.py" "$out" | tee "$out/summary.md"
