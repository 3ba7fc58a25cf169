#!/usr/bin/env bash
# Session 18 calls 4 and 5: SmolLM2's GGUF, parts 1 and 2 (scripts/device-model.sh; carry
# .carry/m1, then .carry/m2), and a call carrying .carry/s18d (this session's build of call 3).
[ -d .carry/m1 ] || [ -d .carry/m2 ] && scripts/device-model.sh stage
if [ -f .carry/s18d/sdec ]; then mkdir -p /tmp/s18 && cp .carry/s18d/sdec /tmp/s18/sdec && echo "build staged"; fi
