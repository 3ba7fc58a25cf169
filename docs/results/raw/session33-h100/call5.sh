# Session 33, call 5 (build s33d = s33c + two diagnostic switches, not kept: SDEC_GRAPH_UPLOAD=1
# uploads each step graph after its update; SDEC_LYCHEE_SIDE_MAIN=1 runs LycheeDecode's top-k and
# index update on the main stream instead of the side stream). On call 4's tuned and refined cache:
# `lychee` b1 128K alternated over the switches and over layer 0's dense-with-scores attention on
# the TMA path (decode_attention b1-ctx128k-scores {8192, 160, 2, mma 3}); CUPTI timelines of the
# base and the main-stream step: where the 9.8 us with no kernel after `embed` comes from.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH
b=/tmp/b; mkdir -p $b; gunzip -c .carry/s33d/sdec.gz > $b/sdec && chmod +x $b/sdec
o=/tmp/c5; rm -rf $o; mkdir -p $o/t
zcat docs/results/raw/session33-h100/call4/tune-all.json.gz > $o/t/tune.json
python3 benches/cache_variant.py $o/t $o/v0 'decode_attention:b1-ctx128k-scores={"mma":3,"split_tokens":8192,"threads":160,"unroll":2}'
lychee=lychee:heads=docs/results/llama8b-heads-9pct.json
run() {  # NAME CACHE [ENV...]
    local n=$1 c=$2; shift 2
    env "$@" SDEC_TUNE_DIR=$c timeout 120 $b/sdec bench decode --model synthetic:llama-3.1-8b --contexts 128k --batch 1 --policy "$lychee" \
        --steps 64 --warmup 5 --launch graph > $o/bench-$n.txt 2>&1
    echo "$n: $(grep -E '^\| lychee' $o/bench-$n.txt | awk -F'|' '{print $7}')"
}
for r in 1 2; do
    run base$r $o/t; run upload$r $o/t SDEC_GRAPH_UPLOAD=1; run sidemain$r $o/t SDEC_LYCHEE_SIDE_MAIN=1; run l0tma$r $o/v0
done
for v in base sidemain; do
    e=""; [ $v = sidemain ] && e=SDEC_LYCHEE_SIDE_MAIN=1
    env $e SDEC_TUNE_DIR=$o/t TAG=$v SDEC=$b/sdec timeout 120 bash benches/cupti_trace/run.sh $o/trace "$lychee" 1 128k > $o/trace-$v.txt 2>&1
    echo "trace $v exit $?"; grep -E "no kernel running" $o/trace-$v.txt
    python3 -c "
import csv
r=sorted((float(x['offset_us']),float(x['duration_us']),x['name']) for x in csv.DictReader(open('$o/trace/step-b1-$v.csv')))
print('first kernels:', [(round(a,2),round(d,2),n) for a,d,n in r[:3]])"
done
gzip $o/trace/*.csv; rm -f $o/trace/libsdec_trace.so; rm -rf $o/t $o/v0; tar czf $OUT/c5.tgz -C /tmp c5
