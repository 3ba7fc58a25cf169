# Session 30, call 8: part 3 of SmolLM2 to /tmp/sdec-model on the device (scripts/device-model.sh, PART_SIZE=20M: the tracked tree is 43 MB now).
scripts/device-model.sh stage
