#!/usr/bin/env bash
# Session 26 call 4 (.carry/s26f: s26e + spec_score_logits converting fp16 on the integer pipes):
# spec fuzz, then #5's figures with SpecAttn (`SPEC=1 benches/figures_128k.sh`: every family
# tuned afresh, refined; the SpecAttn round timed at 6 tokens kept a round, the new default).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=s26f; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
timeout 60 /tmp/$b/sdec fuzz --family spec --cases 400 --seed 2604 > /tmp/fuzz-spec4.txt 2>&1; echo "spec fuzz rc $?: $(tail -1 /tmp/fuzz-spec4.txt)"
grep -m3 FAIL /tmp/fuzz-spec4.txt
rm -rf /tmp/c4; SPEC=1 SDEC=/tmp/$b/sdec bash benches/figures_128k.sh /tmp/c4 2>&1 | grep -v -- "---"
grep -A3 "SpecAttn rounds" /tmp/c4/decode.txt
cp /tmp/fuzz-spec4.txt /tmp/c4/; rm -rf /tmp/c4/tune/cubin; tar czf $OUT/c4.tgz -C /tmp c4
