# Session 28, call 10: part 1 of SmolLM2 to /tmp/sdec-model on the device (scripts/device-model.sh).
scripts/device-model.sh stage
