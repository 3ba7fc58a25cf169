#!/usr/bin/env bash
# Session 20 calls 12-13 (carry .carry/m1, then .carry/m2): a part of the SmolLM2 GGUF staged.
scripts/device-model.sh stage
