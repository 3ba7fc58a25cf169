# Session 36, call 8: stage SmolLM2's part 3 of 5 (scripts/device-model.sh, PART_SIZE=20M).
scripts/device-model.sh stage
