#!/usr/bin/env bash
# The passkey figures of docs/results/reference.md (release build, SmolLM2-135M-Instruct Q4_1, CPU).
# smollm2-heads-profiled.json is made by `sdec lychee-heads` (reference.md, "Lychee with a profiled head map").
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${SDEC:-target/release/sdec}
P=(--policy lychee:budget=1024
   --policy lychee:budget=1024,heads=docs/results/smollm2-heads-2of3.json
   --policy lychee:budget=1024,heads=docs/results/smollm2-heads-profiled.json
   --policy tidal:budget=1024 --policy quest:budget=1024 --policy lfps:budget=1024
   --policy streaming:sink=4,recent=1020 --policy specattn)
out=${OUT:-docs/results}
$B eval passkey --model smollm2 "${P[@]}" --lengths 1k,2k,4k --depths 0.1,0.3,0.5,0.7,0.9 --seed 1 --json > "$out/passkey-1k-4k.json"
$B eval passkey --model smollm2 "${P[@]}" --lengths 7k --depths 0.1,0.5,0.9 --seed 1 --json > "$out/passkey-7k.json"
