# Session 36, call 7: stage SmolLM2's part 2 of 5 (scripts/device-model.sh, PART_SIZE=20M).
scripts/device-model.sh stage
