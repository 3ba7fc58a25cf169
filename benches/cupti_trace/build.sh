#!/usr/bin/env bash
# Builds libsdec_trace.so (trace.c) against the CUDA install's CUPTI, on the GPU machine:
#   benches/cupti_trace/build.sh OUTDIR     -> OUTDIR/libsdec_trace.so
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
cuda="${CUDA_HOME:-/usr/local/cuda}"
inc=$(dirname "$(find "$cuda/" "$cuda/extras/CUPTI/" -name cupti_activity.h 2>/dev/null | head -1)")
[ -n "$inc" ] && [ -f "$inc/cupti_activity.h" ] || { echo "build.sh: no cupti_activity.h under $cuda" >&2; exit 1; }
lib=$(dirname "$(find "$cuda/" -name 'libcupti.so*' 2>/dev/null | head -1)")
# The newest kernel record the header declares (CUPTI writes that version).
n=$(grep -ho 'CUpti_ActivityKernel[0-9]\+' "$inc"/cupti_activity*.h | sed 's/CUpti_ActivityKernel//' | sort -n | tail -1)
record="CUpti_ActivityKernel$n"
echo "CUPTI headers $inc, library $lib, kernel record $record"
mkdir -p "$out"
cc -O2 -shared -fPIC -DKERNEL_RECORD="$record" -I"$inc" -I"$cuda/include" "$here/trace.c" -L"$lib" -Wl,-rpath,"$lib" -lcupti -o "$out/libsdec_trace.so"
echo "built $out/libsdec_trace.so"
