#!/usr/bin/env bash
# The test command: installs what the tests need (scripts/setup.sh), then runs every test of the
# workspace. Tests that need a GPU say "skipped: no GPU" and pass where there is none.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lib="$(scripts/setup.sh)"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cargo build --release --locked -p sdec-runtime --bin sdec
cargo test --release --locked --workspace
