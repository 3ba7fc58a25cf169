#!/usr/bin/env bash
# Brings the SmolLM2 GGUF (98 MB) to the device machine, whose calls carry at most 64 MiB with
# the working tree (~34 MB tracked by session 27): the model goes in parts of 26 MB (PART_SIZE), one
# call each.
#   here:                 scripts/device-model.sh split       -> .carry/m1, .carry/m2, … (a part each,
#                                                                and the sha256 beside every part)
#   device, call k:       scripts/device-model.sh stage       (carry .carry/mk) copies its part to /tmp/sdec-model
#   device, last call:    scripts/device-model.sh assemble    (after staging the last part) joins the parts,
#                         checks the sha256, and leaves the model at /tmp/sdec-model/models/
#                         (SDEC_MODEL_DIR=/tmp/sdec-model/models)
# /tmp survives between calls while the machine stays warm (about 30 s after a call): make the
# calls one after another at once.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=SmolLM2-135M-Instruct.Q4_1.gguf
STAGE=/tmp/sdec-model
case "${1:-}" in
split)
    src=.sdec/models/$NAME
    [ -f "$src" ] || { echo "no $src: run scripts/setup.sh first" >&2; exit 1; }
    rm -rf .carry/m[0-9] /tmp/sdec-model-split && mkdir -p /tmp/sdec-model-split
    split -b "${PART_SIZE:-26M}" "$src" /tmp/sdec-model-split/part-
    k=0
    for part in /tmp/sdec-model-split/part-*; do
        k=$((k + 1)); mkdir -p .carry/m$k && mv "$part" .carry/m$k/
        sha256sum "$src" | cut -d' ' -f1 > .carry/m$k/sha256
    done
    echo "split $src into $k parts: .carry/m1 .. .carry/m$k (carry one a call, then stage it)"
    ;;
stage)
    # Earlier calls' part folders may still be there: copy every part, and one checksum.
    mkdir -p $STAGE && cp -f .carry/m[0-9]/part-* $STAGE/
    cat "$(ls .carry/m[0-9]/sha256 | head -1)" > $STAGE/sha256
    echo "staged $(ls $STAGE/part-* | wc -l) part(s) in $STAGE"
    ;;
assemble)
    parts=$(ls $STAGE/part-* 2>/dev/null | wc -l)
    [ "$parts" -ge 2 ] && [ -f $STAGE/sha256 ] || { echo "only $parts part(s) in $STAGE: the machine was not warm between calls; stage them again" >&2; exit 1; }
    mkdir -p $STAGE/models
    cat $STAGE/part-* > $STAGE/models/$NAME
    got=$(sha256sum $STAGE/models/$NAME | cut -d' ' -f1)
    [ "$got" = "$(cat $STAGE/sha256)" ] || { echo "checksum mismatch after joining $parts parts: $got (a part is missing?)" >&2; exit 1; }
    echo "assembled $STAGE/models/$NAME from $parts parts (sha256 ok)"
    ;;
*)
    echo "usage: $0 split|stage|assemble" >&2; exit 2
    ;;
esac
