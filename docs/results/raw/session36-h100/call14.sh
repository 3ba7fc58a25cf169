# Session 36, call 14: build s36h's end-of-session checks (benches/final_checks.sh: the GPU test
# binaries, `sdec check` of six policies eager and in a graph) and sdec fuzz of spec.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader
o=$OUT/c14; mkdir -p $o
bash benches/final_checks.sh .carry/s36h /tmp/c14
cp -r /tmp/c14/check.txt /tmp/c14/tests $o/
timeout 100 /tmp/final-checks-bin/sdec fuzz --family spec --cases 1500 --seed 3610 > $o/fuzz-spec.txt 2>&1; echo "fuzz spec exit $?"; tail -1 $o/fuzz-spec.txt
