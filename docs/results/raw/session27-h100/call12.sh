#!/usr/bin/env bash
# Session 27 call 12 (after `scripts/device-model.sh stage` calls for parts 1 to 3): SmolLM2
# assembled; build s27h (main): SpecAttn against `full` on every licence text of the machine
# (lossless tokens and the acceptance, benches/spec_accept_licenses.sh), then `full` at 4K b1
# (its byte floor) on call 11's cache.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
scripts/device-model.sh stage && scripts/device-model.sh assemble || exit 1
o=/tmp/c12; rm -rf $o; mkdir -p $o/tune
b=s27h; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
cp .carry/c11tune/tune.json $o/tune/; export SDEC_TUNE_DIR=$o/tune
SDEC=/tmp/$b/sdec SDEC_MODEL_DIR=/tmp/sdec-model/models OUT=$o timeout 400 bash benches/spec_accept_licenses.sh > $o/licences-run.txt 2>&1
echo "licences exit $?"; cat $o/licences-run.txt | cut -c1-200
timeout 100 /tmp/$b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 4k --batch 1 --policy full \
  --steps 32 --warmup 5 --launch graph --json $o/dec-4k.json > $o/dec-4k.txt 2>&1
echo "4k exit $?"; grep -E '^\| full' $o/dec-4k.txt
rm -rf $o/tune; find $o -name "*.json" -size +200k -delete; tar czf $OUT/c12.tgz -C /tmp c12
