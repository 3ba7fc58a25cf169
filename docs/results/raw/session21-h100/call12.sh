export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH; python3 benches/mixed_micro/run_attend.py --runs 30 --json $OUT/attend7.json
