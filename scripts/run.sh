#!/usr/bin/env bash
# The main job. Installs what it needs (scripts/setup.sh) and builds sdec, then:
#  - lists the kernel families and NVRTC-compiles every configuration (no GPU needed);
#  - runs the CPU reference model on SmolLM2 with a sparse policy (no GPU needed);
#  - with a GPU: fuzzes every family against its reference.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lib="$(scripts/setup.sh)"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cargo build --release --locked -p sdec-runtime --bin sdec
sdec=target/release/sdec
$sdec kernels list
$sdec kernels compile
$sdec generate --model smollm2 --device cpu --policy lychee:budget=1024 --chat \
    --prompt "What is the capital of France?" --max-new-tokens 16
if $sdec info >/dev/null 2>&1; then
  $sdec fuzz --cases 2000
else
  echo "no GPU here: skipped the fuzzer (run on a GPU machine: target/release/sdec fuzz)"
fi
