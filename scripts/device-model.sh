#!/usr/bin/env bash
# Brings the SmolLM2 GGUF (98 MB) to the device machine, whose calls carry at most 64 MiB.
#   here:            scripts/device-model.sh split      -> .carry/m1/part-aa, .carry/m2/part-ab (+ sha256)
#   device, call 1:  scripts/device-model.sh stage      (carry .carry/m1)  copies part 1 to /tmp/sdec-model
#   device, call 2:  scripts/device-model.sh assemble   (carry .carry/m2)  joins, checks the sha256,
#                    and leaves the model at /tmp/sdec-model/models/ (SDEC_MODEL_DIR=/tmp/sdec-model/models)
# /tmp survives between calls while the machine stays warm (about 30 s after a call): make the
# second call at once.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=SmolLM2-135M-Instruct.Q4_1.gguf
STAGE=/tmp/sdec-model
case "${1:-}" in
split)
    src=.sdec/models/$NAME
    [ -f "$src" ] || { echo "no $src: run scripts/setup.sh first" >&2; exit 1; }
    rm -rf .carry/m1 .carry/m2 && mkdir -p .carry/m1 .carry/m2
    split -b 50M "$src" .carry/m1/part-
    mv .carry/m1/part-ab .carry/m2/
    sha256sum "$src" | cut -d' ' -f1 > .carry/m2/sha256
    echo "split $src into .carry/m1/part-aa and .carry/m2/part-ab"
    ;;
stage)
    mkdir -p $STAGE && cp .carry/m1/part-aa $STAGE/
    echo "staged part 1 in $STAGE"
    ;;
assemble)
    [ -f $STAGE/part-aa ] || { echo "part 1 is not in $STAGE: the machine was not warm; run 'stage' again" >&2; exit 1; }
    mkdir -p $STAGE/models
    cat $STAGE/part-aa .carry/m2/part-ab > $STAGE/models/$NAME
    got=$(sha256sum $STAGE/models/$NAME | cut -d' ' -f1)
    [ "$got" = "$(cat .carry/m2/sha256)" ] || { echo "checksum mismatch: $got" >&2; exit 1; }
    echo "assembled $STAGE/models/$NAME (sha256 ok)"
    ;;
*)
    echo "usage: $0 split|stage|assemble" >&2; exit 2
    ;;
esac
