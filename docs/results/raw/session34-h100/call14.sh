# Session 34, call 14: benches/final_checks.sh on the final code (s34h = s34g's sdec + s34u's GPU
# test binaries), without the figures (calls 12 and 13 took them): the script's first run.
o=/tmp/c14; rm -rf $o
bash benches/final_checks.sh .carry/s34h $o
tar czf $OUT/c14.tgz -C /tmp c14
