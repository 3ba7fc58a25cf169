#!/usr/bin/env python3
"""A copy of a tuned cache with some winners replaced, to time the decode step with other
configurations than the tuner chose (e.g. a family's isolated winner against the runner-up inside
the CUDA graph; docs/results/decode.md section 14).

    benches/cache_variant.py BASE_DIR OUT_DIR FAMILY:LABEL=CONFIG_JSON [...]
    benches/cache_variant.py /tmp/tn /tmp/v4 'gather_attention:b1-ctx128k-lychee={"mma":0,"split_tokens":512,"threads":128,"unroll":2}'

LABEL may be `*` (every entry of the family). A replaced entry loses its refined choices (the
runtime would launch those instead). The runtime compiles a replaced winner on start
(its CUBIN is not in the store), so the variant runs like the base in every other kernel.

    benches/cache_variant.py --rekey SDEC BASE_DIR OUT_DIR [FAMILY:LABEL=CONFIG_JSON ...]

`--rekey` re-files every entry under the family source hashes of another build (`SDEC kernels
list --json`), so that build runs the base's winners although its kernel sources differ: two
builds timed on the same configurations (benches/decode_ab.sh with FAMILIES="")."""
import json
import shutil
import subprocess
import sys


def source_hashes(sdec):
    """Family name -> the source hash that build keys its cache entries by."""
    try:
        run = subprocess.run([sdec, "kernels", "list", "--json"], capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"--rekey: cannot run {sdec}: {e}")
    if run.returncode != 0:
        sys.exit(f"--rekey: `{sdec} kernels list --json` failed: {run.stderr.strip()}")
    try:
        return {row["family"]: row["source_hash"] for row in json.loads(run.stdout)}
    except (ValueError, KeyError, TypeError) as e:
        sys.exit(f"--rekey: {sdec} gives no source hashes (a build before `kernels list --json` had them?): {e}")


def main(argv):
    rekey = None
    if argv[:1] == ["--rekey"]:
        if len(argv) < 2:
            sys.exit(__doc__)
        rekey, argv = source_hashes(argv[1]), argv[2:]
    if len(argv) < 2 or (rekey is None and len(argv) < 3):
        sys.exit(__doc__)
    base, out, changes = argv[0], argv[1], argv[2:]
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base, out)
    cache = json.load(open(f"{base}/tune.json"))
    if rekey is not None:
        for e in cache["entries"]:
            family = e["key"]["family"]
            if family not in rekey:
                sys.exit(f"{family} (in {base}/tune.json) is not a family of that build")
            e["key"]["source_hash"] = rekey[family]
    for change in changes:
        target, _, config = change.partition("=")
        family, _, label = target.partition(":")
        if not config or not label:
            sys.exit(f"not FAMILY:LABEL=CONFIG_JSON: {change}")
        hits = [e for e in cache["entries"] if e["key"]["family"] == family and label in ("*", e["label"])]
        if not hits:
            sys.exit(f"no entry {family}:{label} in {base}/tune.json")
        for e in hits:
            e["winner"] = json.loads(config)
            # The runtime launches a refined choice before the winner: the replaced winner runs.
            e.pop("refined", None)
            e.pop("refined_by", None)
    with open(f"{out}/tune.json", "w") as f:
        json.dump(cache, f)


if __name__ == "__main__":
    main(sys.argv[1:])
