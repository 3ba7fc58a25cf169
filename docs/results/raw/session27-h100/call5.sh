#!/usr/bin/env bash
# Session 27 call 5. Build s27e (main 9645441: s27c with the score kernel's alignment fix, without
# s27d's drafts graph): the GPU tests, then #5's 128K figures as benches/figures_128k.sh makes
# them (every family tuned afresh, `full`, `lychee` and SpecAttn refined in the step).
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
o=/tmp/c5; rm -rf $o; mkdir -p $o
b=s27e; mkdir -p /tmp/$b && gunzip -c .carry/$b/sdec.gz > /tmp/$b/sdec && chmod +x /tmp/$b/sdec
mkdir -p /tmp/t && cp benches/gpu_tests.sh /tmp/t/ && for t in gpu_decode gpu_fuzz gpu_tune; do gunzip -c .carry/$b/tests/$t.gz > /tmp/t/$t; chmod +x /tmp/t/$t; done
bash /tmp/t/gpu_tests.sh $o/tests
SPEC=1 SDEC=/tmp/$b/sdec bash benches/figures_128k.sh $o/fig
rm -rf $o/fig/tune/cubin; tar czf $OUT/c5.tgz -C /tmp c5
