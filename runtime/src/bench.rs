//! `sdec bench kernels`: the issue's kernel benchmarks on the GPU, with CUDA events, warm-up,
//! the median of many runs, inputs rotated past L2, and the byte floor (bytes moved over the
//! measured copy bandwidth) beside every time. Every valid configuration of a family is timed
//! for each shape (a small sweep; the tuner does this properly), and the best and the default
//! are reported. Runs launch on the stream one by one, or (`--launch graph`) as a CUDA graph of
//! consecutive launches, the way the decode step launches them.

use cudarc::driver::{CudaSlice, CudaStream};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sdec_kernels::attention::{AttentionShape, DecodeAttention, GatherAttention, GatherShape};
use sdec_kernels::glue::{RowShape, Spin};
use sdec_kernels::topk::{Topk, TopkShape};
use sdec_kernels::KernelFamily;
use serde::Serialize;

use crate::decode::graph::StepGraph;
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, DecodeKernel, GatherKernel};
use crate::launch::glue::GlueKernel;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::{upload, zeros};

/// Timing policy: warm-up runs, then the median of `runs` individually timed runs.
#[derive(Debug, Clone, Copy)]
pub struct TimingPolicy {
    pub warmup: usize,
    pub runs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub median_us: f64,
    pub min_us: f64,
    pub max_us: f64,
}

/// Times `f` (which enqueues work on the stream) with events around each run.
pub fn time<F: FnMut(usize) -> Result<()>>(gpu: &Gpu, policy: TimingPolicy, f: F) -> Result<Timing> {
    let samples = time_samples(gpu, policy, || Ok(()), f)?;
    Ok(Timing { median_us: samples[samples.len() / 2], min_us: samples[0], max_us: samples[samples.len() - 1] })
}

/// Times `f` like [`time`] and returns every timed run in microseconds, sorted; `between` is
/// enqueued before each run outside the timed region (e.g. to flush L2). At least one run.
pub fn time_samples<B, F>(gpu: &Gpu, policy: TimingPolicy, between: B, f: F) -> Result<Vec<f64>>
where
    B: FnMut() -> Result<()>,
    F: FnMut(usize) -> Result<()>,
{
    time_launch_samples(gpu, policy, 1, between, f)
}

/// [`time_samples`] where each timed run is `launches` consecutive calls of `f` (indices
/// `run * launches ..`), its time divided by their count: the launch between the start event and
/// the first kernel (~3 µs, jittery) is then spread over them.
pub fn time_launch_samples<B, F>(gpu: &Gpu, policy: TimingPolicy, launches: usize, mut between: B, mut f: F) -> Result<Vec<f64>>
where
    B: FnMut() -> Result<()>,
    F: FnMut(usize) -> Result<()>,
{
    let launches = launches.max(1);
    let mut run = |i: usize| (i * launches..(i + 1) * launches).try_for_each(&mut f);
    let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
    let (start, stop) = (gpu.ctx.new_event(flags).during("creating events")?, gpu.ctx.new_event(flags).during("creating events")?);
    let mut ahead = Ahead::new(gpu)?;
    for i in 0..policy.warmup {
        between()?;
        run(i)?;
    }
    let mut samples = Vec::with_capacity(policy.runs.max(1));
    for i in 0..policy.runs.max(1) {
        between()?;
        ahead.spin(gpu)?;
        start.record(&gpu.stream).during("recording an event")?;
        run(policy.warmup + i)?;
        stop.record(&gpu.stream).during("recording an event")?;
        stop.synchronize().during("waiting for a timed run")?;
        samples.push(start.elapsed_ms(&stop).during("reading an event")? as f64 * 1000.0 / launches as f64);
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples)
}

/// How a benchmark launches the runs it times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LaunchMode {
    /// Each run launched on the stream between its two events: the time includes the gap
    /// between the start event and the kernel (about 3 µs for any launch here).
    #[default]
    Stream,
    /// Each timed run replays one CUDA graph of [`GRAPH_LAUNCHES`] consecutive runs (inputs
    /// rotated as in `Stream`), its time divided by their count: what a kernel costs inside the
    /// decode step's graph, where one launch follows the last without the host. PyTorch's peers
    /// are timed the same way (`benches/torch_peers.py --graph`).
    Graph,
}

/// Runs in each timed graph: enough that the graph's own launch is small beside them.
pub const GRAPH_LAUNCHES: usize = 32;

/// Times `f(i)` (run i, which rotates its inputs by i) as `mode` says, with the bench's policy.
fn time_launches<F: FnMut(usize) -> Result<()>>(gpu: &Gpu, mode: LaunchMode, mut f: F) -> Result<Timing> {
    match mode {
        LaunchMode::Stream => time(gpu, POLICY, f),
        LaunchMode::Graph => {
            let mut graph = StepGraph::default();
            // Captures the runs and launches them once (besides the warm-up runs of `time`).
            graph.run(gpu, || (0..GRAPH_LAUNCHES).try_for_each(&mut f))?;
            let t = time(gpu, POLICY, |_| graph.launch(gpu))?;
            let per_run = |us: f64| us / GRAPH_LAUNCHES as f64;
            Ok(Timing { median_us: per_run(t.median_us), min_us: per_run(t.min_us), max_us: per_run(t.max_us) })
        }
    }
}

/// Work the GPU does ahead of each timed run: a spin of [`AHEAD_NS`], long enough for the host
/// to enqueue the start event, the run's launches and the stop event behind it. Without it the
/// start event fires on an idle GPU and the run's time includes the host's launch latency (about
/// 4 µs per timed launch on the H100 machine, and noisy; docs/results/kernels.md).
struct Ahead {
    kernel: GlueKernel,
    waited: CudaSlice<u64>,
}

/// Long enough to cover the host's enqueue of a multi-kernel run (a few launches of ~3 µs each);
/// benches/torch_peers.py sleeps as long ahead of PyTorch's runs.
const AHEAD_NS: u64 = 100_000;

impl Ahead {
    fn new(gpu: &Gpu) -> Result<Ahead> {
        let shape = RowShape { rows: 1, n: 1, head_dim: 0, capacity: 0 };
        let kernel = GlueKernel::new::<Spin>(gpu, &Spin::default_config(&shape, &gpu.limits())?, &shape)?;
        Ok(Ahead { kernel, waited: zeros(gpu, 1, "spin timer")? })
    }

    fn spin(&mut self, gpu: &Gpu) -> Result<()> {
        crate::launch::glue::spin(gpu, &self.kernel, &mut self.waited, AHEAD_NS)
    }
}

/// Device-to-device copy bandwidth (bytes read + written per second) over 1 GiB.
pub fn copy_bandwidth(gpu: &Gpu) -> Result<f64> {
    let n = 1usize << 28; // 1 GiB of f32
    let src: CudaSlice<f32> = zeros(gpu, n, "bandwidth probe source")?;
    let mut dst: CudaSlice<f32> = zeros(gpu, n, "bandwidth probe destination")?;
    let stream: &std::sync::Arc<CudaStream> = &gpu.stream;
    let t = time(gpu, TimingPolicy { warmup: 3, runs: 20 }, |_| stream.memcpy_dtod(&src, &mut dst).during("copy"))?;
    Ok(2.0 * (n * 4) as f64 / (t.median_us * 1e-6))
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub kernel: String,
    pub shape: String,
    pub best_config: String,
    pub best: Timing,
    pub default_us: f64,
    pub bytes: f64,
    pub floor_us: f64,
    pub configs_timed: usize,
    /// Every configuration timed, with its median (µs), in the order timed.
    pub timings: Vec<(String, f64)>,
}

impl BenchRow {
    fn new(kernel: &str, shape: String, bytes: f64, bandwidth: f64, results: Vec<(String, Timing)>) -> Option<BenchRow> {
        let default_us = results.first()?.1.median_us;
        let configs_timed = results.len();
        let timings = results.iter().map(|(c, t)| (c.clone(), t.median_us)).collect();
        let (best_config, best) = results.into_iter().min_by(|a, b| a.1.median_us.total_cmp(&b.1.median_us))?;
        Some(BenchRow { kernel: kernel.into(), shape, best_config, best, default_us, bytes, floor_us: bytes / bandwidth * 1e6, configs_timed, timings })
    }
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub device: crate::gpu::DeviceInfo,
    pub copy_bandwidth_gbs: f64,
    pub launch: LaunchMode,
    pub rows: Vec<BenchRow>,
}

/// What every benchmark of a run shares.
struct Bench<'a> {
    gpu: &'a Gpu,
    /// Measured copy bandwidth (bytes read + written per second), for the byte floors.
    bandwidth: f64,
    filter: &'a ConfigFilter,
    launch: LaunchMode,
}

impl Bench<'_> {
    fn time<F: FnMut(usize) -> Result<()>>(&self, f: F) -> Result<Timing> {
        time_launches(self.gpu, self.launch, f)
    }

    fn row(&self, kernel: &str, shape: String, bytes: f64, results: Vec<(String, Timing)>) -> Option<BenchRow> {
        BenchRow::new(kernel, shape, bytes, self.bandwidth, results)
    }
}

fn random_bf16_bits(rng: &mut ChaCha8Rng, len: usize) -> Vec<u16> {
    // Uniform in about [-2, 2): sign, exponent 126..128, random mantissa. Never zeros.
    (0..len).map(|_| { let r: u16 = rng.gen(); (r & 0x807f) | (((126 + (r >> 7) % 3) as u16) << 7) }).collect()
}

const POLICY: TimingPolicy = TimingPolicy { warmup: 5, runs: 30 };

/// Which configurations of a valid space are timed.
#[derive(Debug, Clone, Default)]
pub struct ConfigFilter {
    /// Only the first three.
    pub quick: bool,
    /// Only these configurations (JSON objects, keys in any order: `sdec tune` prints them
    /// sorted); all when empty. For profiling one.
    pub only: Vec<serde_json::Value>,
    /// Only the rows whose shape (as the table prints it) contains this text.
    pub shape: Option<String>,
}

impl ConfigFilter {
    /// A filter from the command line's `--config` texts, each of which must be a JSON object.
    pub fn new(quick: bool, configs: &[String], shape: Option<String>) -> Result<Self> {
        let only = configs
            .iter()
            .map(|text| match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) if value.is_object() => Ok(value),
                _ => Err(SdecError::Invalid(format!("--config {text}: not a JSON object such as {{\"threads\":256,\"unroll\":2}}"))),
            })
            .collect::<Result<_>>()?;
        Ok(ConfigFilter { quick, only, shape })
    }

    fn apply<C: Serialize>(&self, space: Vec<C>) -> Vec<C> {
        let wanted = |c: &C| self.only.is_empty() || serde_json::to_value(c).is_ok_and(|v| self.only.contains(&v));
        space.into_iter().filter(wanted).take(if self.quick { 3 } else { usize::MAX }).collect()
    }

    fn wants_shape(&self, label: &str) -> bool {
        self.shape.as_deref().is_none_or(|text| label.contains(text))
    }
}

fn decode_label(batch: u32, group: u32) -> String {
    format!("b{batch} {}q/8kv d128 ctx128K", 8 * group)
}

fn topk_label(shape: &TopkShape) -> String {
    format!("[{} x {}] k={}", shape.rows, shape.n, shape.k)
}

const LAUNCH_FLOOR_LABEL: &str = "[1 x 1] k=1";

fn bench_decode(b: &Bench, rng: &mut ChaCha8Rng, batch: u32, group: u32, emit: bool) -> Result<Option<BenchRow>> {
    let gpu = b.gpu;
    let shape = AttentionShape { batch, kv_heads: 8, group, head_dim: 128, context: 131072, capacity: 131072, emit_scores: emit, score_block: 64 };
    let kv_len = (batch * 8 * 131072 * 128) as usize;
    let q_len = (batch * 8 * group * 128) as usize;
    let q = upload(gpu, &random_bf16_bits(rng, q_len), "q")?;
    let k = upload(gpu, &random_bf16_bits(rng, kv_len), "K cache")?;
    let v = upload(gpu, &random_bf16_bits(rng, kv_len), "V cache")?;
    let mut out = zeros::<u16>(gpu, q_len, "output")?;
    let mut scores = zeros::<f32>(gpu, (batch * 8 * shape.n_blocks()) as usize, "block scores")?;
    let inputs = AttentionInputs { q: &q, k: &k, v: &v, scale: 1.0 / (128f32).sqrt() };
    let mut results = Vec::new();
    for config in &b.filter.apply(DecodeAttention::valid_space(&shape, &gpu.limits())) {
        let mut kernel = DecodeKernel::new(gpu, *config, shape.clone())?;
        let t = b.time(|_| kernel.launch(gpu, &inputs, &mut out, &mut scores))?;
        results.push((serde_json::to_string(config).unwrap_or_default(), t));
    }
    let bytes = 2.0 * kv_len as f64 * 2.0 + if emit { (batch * 8 * shape.n_blocks() * 4) as f64 } else { 0.0 };
    let name = if emit { "decode_attention+scores" } else { "decode_attention" };
    Ok(b.row(name, decode_label(batch, group), bytes, results))
}

/// A gather launch over a 128K cache (32 query / 8 KV heads, d = 128): `dense_heads` heads read
/// densely (writing block scores with `emit`), the others `selected` tokens each.
#[derive(Debug, Clone, Copy)]
struct GatherCase {
    batch: u32,
    kv_heads: u32,
    /// Query heads per KV head.
    group: u32,
    dense_heads: u32,
    gather_block: u32,
    selected: u32,
    emit: bool,
}

impl GatherCase {
    /// The issue's benchmark: batch 8, 4096 selected tokens (or blocks of 64).
    fn issue(dense_heads: u32, gather_block: u32) -> GatherCase {
        GatherCase { batch: 8, kv_heads: 8, group: 4, dense_heads, gather_block, selected: 4096, emit: false }
    }

    /// A LycheeDecode layer of the decode loop at 128K: one retrieval head (or none) beside
    /// lists of 4480 tokens (budget 4096 + the recent window); group 4 is Llama-3.1-8B's, group 8
    /// a 64-query-head model's (Qwen3-32B).
    fn lychee_layer(batch: u32, group: u32, dense_heads: u32) -> GatherCase {
        GatherCase { batch, kv_heads: 8, group, dense_heads, gather_block: 1, selected: 4480, emit: dense_heads > 0 }
    }

    /// SpecAttn's draft gather at 128K: every head reads the 7% (9175 tokens) the last
    /// verification found important.
    fn spec_draft() -> GatherCase {
        GatherCase { batch: 1, kv_heads: 8, group: 4, dense_heads: 0, gather_block: 1, selected: 9175, emit: false }
    }

    fn label(&self) -> String {
        let list = if self.gather_block == 1 { "tokens".to_string() } else { format!("blocks of {}", self.gather_block) };
        let scores = if self.emit { " + scores" } else { "" };
        let kv = self.kv_heads;
        format!("b{} {}q/{kv}kv d128 ctx128K, {} {list}, {}/{kv} dense{scores}", self.batch, kv * self.group, self.selected, self.dense_heads)
    }
}

fn bench_gather(b: &Bench, rng: &mut ChaCha8Rng, case: &GatherCase) -> Result<Option<BenchRow>> {
    let gpu = b.gpu;
    let GatherCase { batch, kv_heads, group, dense_heads, gather_block, selected, emit } = *case;
    let context = 131072u32;
    let entries = selected / gather_block;
    let shape = GatherShape {
        batch, kv_heads, group, head_dim: 128, context, capacity: context, gather_block, entries,
        dense: (0..kv_heads).map(|h| h < dense_heads).collect(), emit_scores: emit, score_block: 64, runs: false,
    };
    let kv_len = (batch * kv_heads * context * 128) as usize;
    let q_len = (batch * kv_heads * group * 128) as usize;
    let q = upload(gpu, &random_bf16_bits(rng, q_len), "q")?;
    let k = upload(gpu, &random_bf16_bits(rng, kv_len), "K cache")?;
    let v = upload(gpu, &random_bf16_bits(rng, kv_len), "V cache")?;
    // Distinct ids per head, ascending (as top-k returns them); enough lists to rotate through
    // that their rows, read once each, are twice L2 (the dense heads' rows leave L2 by themselves).
    let units = context / gather_block;
    let sparse_bytes = (batch * (kv_heads - dense_heads) * selected) as usize * 128 * 2 * 2;
    let lists = (2 * gpu.info.l2_bytes as usize).div_ceil(sparse_bytes.max(1)).clamp(1, 16);
    let mut d_lists = Vec::with_capacity(lists);
    for _ in 0..lists {
        let mut ids = Vec::with_capacity((batch * kv_heads * entries) as usize);
        for _ in 0..batch * kv_heads {
            let mut picked = rand::seq::index::sample(rng, units as usize, entries as usize).into_vec();
            picked.sort_unstable();
            ids.extend(picked.into_iter().map(|i| i as i32));
        }
        d_lists.push(upload(gpu, &ids, "gather entries")?);
    }
    let mut out = zeros::<u16>(gpu, q_len, "output")?;
    let n_scores = (batch * kv_heads * shape.n_blocks()) as usize;
    let mut scores = zeros::<f32>(gpu, n_scores, "block scores")?;
    let inputs = AttentionInputs { q: &q, k: &k, v: &v, scale: 1.0 / (128f32).sqrt() };
    let mut results = Vec::new();
    for config in &b.filter.apply(GatherAttention::valid_space(&shape, &gpu.limits())) {
        let mut kernel = GatherKernel::new(gpu, *config, shape.clone())?;
        let t = b.time(|i| kernel.launch_at(gpu, &inputs, &d_lists[i % lists].slice(..), context, &mut out, emit.then_some(&mut scores)))?;
        results.push((serde_json::to_string(config).unwrap_or_default(), t));
    }
    let tokens = batch as f64 * (dense_heads as f64 * context as f64 + (kv_heads - dense_heads) as f64 * selected as f64);
    let score_bytes = if emit { (batch * dense_heads * shape.n_blocks() * 4) as f64 } else { 0.0 };
    let bytes = tokens * 128.0 * 2.0 * 2.0 + score_bytes;
    Ok(b.row("gather_attention", case.label(), bytes, results))
}

fn bench_topk(b: &Bench, rng: &mut ChaCha8Rng, shape: TopkShape) -> Result<Option<BenchRow>> {
    let gpu = b.gpu;
    let len = (shape.rows * shape.n) as usize;
    // Enough copies of the scores that one pass over them all is twice L2.
    let copies = (2 * gpu.info.l2_bytes as usize).div_ceil(len * 4).clamp(1, 64);
    let inputs: Vec<CudaSlice<f32>> =
        (0..copies).map(|_| upload(gpu, &(0..len).map(|_| rng.gen::<f32>() * 8.0 - 4.0).collect::<Vec<_>>(), "scores")).collect::<Result<_>>()?;
    let mut idx = zeros::<i32>(gpu, (shape.rows * shape.k) as usize, "top-k indices")?;
    let mut val = zeros::<f32>(gpu, (shape.rows * shape.k) as usize, "top-k values")?;
    let mut results = Vec::new();
    let space = b.filter.apply(Topk::valid_space(&shape, &gpu.limits()));
    if let Some(e) = gpu.precompile::<Topk>(&space, &shape).into_iter().next() {
        return Err(crate::error::SdecError::Invalid(e));
    }
    for config in &space {
        let name = serde_json::to_string(config).unwrap_or_default();
        // A configuration this GPU cannot launch (e.g. a cluster that does not fit) is skipped.
        let timed = TopkKernel::new(gpu, *config, shape.clone()).and_then(|kernel| {
            let mut scratch = TopkScratch::new(gpu, &shape, config)?;
            b.time(|i| kernel.launch(gpu, &inputs[i % copies], &mut idx, &mut val, &mut scratch))
        });
        match timed {
            Ok(t) => results.push((name, t)),
            Err(e) => eprintln!("bench: skipped {name}: {e}"),
        }
    }
    // The floor: one read of the scores and one write of the results.
    let bytes = (len * 4) as f64 + (shape.rows * shape.k * 8) as f64;
    Ok(b.row("topk", topk_label(&shape), bytes, results))
}

/// The least a timed launch costs here: a one-thread-block top-k of one score (RESIDENT), timed
/// like the rest. What the events measure beyond the kernel's own work.
fn launch_floor(b: &Bench) -> Result<Option<BenchRow>> {
    let gpu = b.gpu;
    let shape = TopkShape { rows: 1, n: 1, k: 1 };
    let config = Topk::valid_space(&shape, &gpu.limits()).into_iter().find(|c| c.strategy == sdec_kernels::topk::RESIDENT && c.threads == 256);
    let Some(config) = config else { return Ok(None) };
    let scores = upload(gpu, &[1.0f32], "scores")?;
    let (mut idx, mut val) = (zeros::<i32>(gpu, 1, "top-k index")?, zeros::<f32>(gpu, 1, "top-k value")?);
    let kernel = TopkKernel::new(gpu, config, shape.clone())?;
    let mut scratch = TopkScratch::new(gpu, &shape, &config)?;
    let t = b.time(|_| kernel.launch(gpu, &scores, &mut idx, &mut val, &mut scratch))?;
    Ok(b.row("topk launch floor", LAUNCH_FLOOR_LABEL.into(), 12.0, vec![(serde_json::to_string(&config).unwrap_or_default(), t)]))
}

/// The benchmarked shapes: dense decode (batch, group, scores) — the issue's group 4 and batch 1
/// at group 8, a 64-query-head model — the issue's gathers, and the decode loop's LycheeDecode
/// layers.
#[allow(clippy::type_complexity)]
fn cases() -> ([(u32, u32, bool); 5], [GatherCase; 4], Vec<GatherCase>) {
    let decode = [(1, 4, false), (1, 4, true), (8, 4, false), (8, 4, true), (1, 8, false)];
    let issue = [(0, 64), (0, 1), (2, 64), (2, 1)].map(|(dense, block)| GatherCase::issue(dense, block));
    let mut layers: Vec<GatherCase> = [(1, 4, 1), (1, 4, 0), (2, 4, 1), (1, 8, 1), (1, 8, 0)].map(|(batch, group, dense)| GatherCase::lychee_layer(batch, group, dense)).to_vec();
    layers.push(GatherCase::spec_draft());
    // The b1 mixed layer's halves alone: its retrieval head (1.57x its floor by itself) and its
    // seven sparse heads (docs/results/kernels.md, session 15).
    layers.push(GatherCase { kv_heads: 1, ..GatherCase::lychee_layer(1, 4, 1) });
    layers.push(GatherCase { kv_heads: 7, ..GatherCase::lychee_layer(1, 4, 0) });
    // Every head dense (no scores): the gather family's dense path (filled plans among its
    // configurations) against `decode_attention` at b1 (decode_attention's row of this shape).
    layers.push(GatherCase { dense_heads: 8, emit: false, ..GatherCase::lychee_layer(1, 4, 1) });
    (decode, issue, layers)
}

/// Refuses a `--shape` text that no shape of the chosen families contains, listing them (before
/// any GPU work).
pub fn check_shape_filter(filter: &ConfigFilter, families: &[String]) -> Result<()> {
    let Some(text) = &filter.shape else { return Ok(()) };
    let wanted = |name: &str| families.is_empty() || families.iter().any(|f| f == name);
    let (decode_cases, issue_cases, lychee_cases) = cases();
    let mut labels: Vec<String> = Vec::new();
    if wanted("topk") {
        labels.extend(sdec_kernels::topk::standard_shapes().iter().map(topk_label));
        labels.push(LAUNCH_FLOOR_LABEL.into());
    }
    if wanted("decode_attention") {
        labels.extend(decode_cases.iter().map(|&(b, g, _)| decode_label(b, g)));
    }
    if wanted("gather_attention") {
        labels.extend(issue_cases.iter().chain(&lychee_cases).map(GatherCase::label));
    }
    labels.dedup();
    if labels.iter().any(|l| l.contains(text.as_str())) {
        Ok(())
    } else {
        Err(crate::error::SdecError::Invalid(format!("no benchmark shape contains `{text}`; the shapes: {}", labels.join("; "))))
    }
}

/// Runs the benchmarks of the chosen families (all when `families` is empty).
pub fn run(gpu: &Gpu, filter: &ConfigFilter, launch: LaunchMode, families: &[String], progress: impl Fn(&str)) -> Result<BenchReport> {
    let wanted = |name: &str| families.is_empty() || families.iter().any(|f| f == name);
    let (decode_cases, issue_cases, lychee_cases) = cases();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    progress("copy bandwidth");
    let bandwidth = copy_bandwidth(gpu)?;
    let b = Bench { gpu, bandwidth, filter, launch };
    let mut rows = Vec::new();
    for shape in sdec_kernels::topk::standard_shapes().into_iter().filter(|s| wanted("topk") && filter.wants_shape(&topk_label(s))) {
        progress(&format!("topk {shape:?}"));
        rows.extend(bench_topk(&b, &mut rng, shape)?);
    }
    if wanted("topk") && filter.wants_shape(LAUNCH_FLOOR_LABEL) {
        progress("launch floor");
        rows.extend(launch_floor(&b)?);
    }
    for (batch, group, emit) in decode_cases.into_iter().filter(|&(b, g, _)| wanted("decode_attention") && filter.wants_shape(&decode_label(b, g))) {
        progress(&format!("decode attention batch {batch} group {group} scores {emit}"));
        rows.extend(bench_decode(&b, &mut rng, batch, group, emit)?);
    }
    for case in issue_cases.iter().chain(&lychee_cases).filter(|c| wanted("gather_attention") && filter.wants_shape(&c.label())) {
        progress(&format!("gather attention {}", case.label()));
        rows.extend(bench_gather(&b, &mut rng, case)?);
    }
    if !filter.only.is_empty() && rows.iter().all(|r| r.shape == LAUNCH_FLOOR_LABEL) {
        let given: Vec<String> = filter.only.iter().map(|v| v.to_string()).collect();
        return Err(SdecError::Invalid(format!(
            "no configuration of the chosen shapes matches --config {} (every parameter of the family must be given; `sdec tune` prints winners in this form)",
            given.join(" --config ")
        )));
    }
    Ok(BenchReport { device: gpu.info.clone(), copy_bandwidth_gbs: bandwidth / 1e9, launch, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Config {
        threads: u32,
        unroll: u32,
    }

    #[test]
    fn config_filter_matches_keys_in_any_order_and_refuses_non_objects() {
        let space = || vec![Config { threads: 128, unroll: 2 }, Config { threads: 256, unroll: 2 }, Config { threads: 256, unroll: 4 }];
        // `sdec tune` prints winners with sorted keys; the space serialises in declaration order.
        let filter = ConfigFilter::new(false, &[r#"{"unroll":2,"threads":256}"#.into()], None).unwrap();
        let picked = filter.apply(space());
        assert_eq!(picked.iter().map(|c| (c.threads, c.unroll)).collect::<Vec<_>>(), vec![(256, 2)]);
        assert_eq!(ConfigFilter::new(true, &[], None).unwrap().apply(space()).len(), 3, "no --config: the whole space (quick: three)");
        assert!(ConfigFilter::new(false, &[r#"{"threads":256}"#.into()], None).unwrap().apply(space()).is_empty(), "a partial config matches nothing");
        for bad in ["threads=256", "[256, 2]", "{\"threads\":"] {
            let err = ConfigFilter::new(false, &[bad.into()], None).unwrap_err().to_string();
            assert!(err.contains("not a JSON object") && err.contains(bad), "{err}");
        }
    }
}
