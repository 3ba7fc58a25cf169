# Session 36, call 6: stage SmolLM2's part 1 of 5 (scripts/device-model.sh, PART_SIZE=20M).
scripts/device-model.sh stage
