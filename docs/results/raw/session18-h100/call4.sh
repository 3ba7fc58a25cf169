#!/usr/bin/env bash
# Session 18 call 4: SmolLM2's GGUF, part 1 (scripts/device-model.sh; carry .carry/m1).
scripts/device-model.sh stage
