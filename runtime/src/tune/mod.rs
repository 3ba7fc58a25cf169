//! `sdec tune`: for each family and shape bucket, the fastest configuration on this GPU, verified
//! against the reference before it is timed, chosen deterministically, and cached.
//!
//! The search and the cache are in `sdec-autotune` (pure); this module is the GPU measurer:
//! NVRTC compiles a batch of configurations in parallel on CPU threads (or takes their CUBIN from
//! the store), each is verified with the fuzzer's `run_case` on a small shape with the same baked
//! values (fresh random inputs, poisoned outputs; the CPU checks run in parallel), and only then
//! timed with CUDA events (warm-up, median of `--runs`, inputs rotated or L2 cleared between runs).

pub mod compiling;
pub mod families;
pub mod referee;
pub mod refine;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sdec_autotune::{
    bucket_id, cache, search_from, source_hash, space_of, Cache, CubinStore, Entry, EntryKey, GpuIdentity, Lookup, Measured, Measurement, Measurer,
    Preset, Progress, Strategy, Tunable,
};
use sdec_kernels::attention::{ChunkAttention, DecodeAttention, GatherAttention};
use sdec_kernels::block_score::BlockScore;
use sdec_kernels::glue::{Argmax, KvAppend, RmsNorm, Rope, Swiglu};
use sdec_kernels::linear::Linear;
use sdec_kernels::topk::Topk;
use sdec_kernels::{DeviceLimits, KernelKey};
use serde::Serialize;

use crate::bench::TimingPolicy;
use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::nvrtc;
use crate::nvrtc_pool::{compile_many, Job};
pub use families::TuneFamily;

/// Where the cache lives unless `--cache` or `SDEC_TUNE_DIR` says otherwise.
pub const DEFAULT_CACHE_DIR: &str = ".sdec/tune";

/// The cache folder: `--cache`, else `$SDEC_TUNE_DIR`, else `.sdec/tune`.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("SDEC_TUNE_DIR").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StrategyArg {
    /// Every valid configuration.
    Exhaustive,
    /// Coordinate descent from the default, measuring at most --descent-fraction of the space.
    Descent,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TuneArgs {
    /// Families to tune (repeatable or comma-separated), or `all`.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub family: Vec<String>,
    /// A preset (`standard`, `quick`) or a comma-separated list of the standard preset's labels.
    #[arg(long, default_value = "standard")]
    pub shapes: String,
    /// Stop starting new work after this many seconds; `--resume` continues.
    #[arg(long)]
    pub budget_s: Option<f64>,
    #[arg(long, value_enum, default_value_t = StrategyArg::Exhaustive)]
    pub strategy: StrategyArg,
    /// Share of a space the descent strategy measures at most (and at least 12 configurations;
    /// its time and its winners against the exhaustive run's: docs/results/tune.md).
    #[arg(long, default_value_t = sdec_autotune::DESCENT_FRACTION)]
    pub descent_fraction: f64,
    /// The least number of configurations descent measures in a space (all of a smaller one).
    #[arg(long, default_value_t = sdec_autotune::SMALL_SPACE)]
    pub descent_min: usize,
    /// Continue an interrupted run: reuse the measurements it saved.
    #[arg(long)]
    pub resume: bool,
    /// Tune entries that are already cached again.
    #[arg(long)]
    pub force: bool,
    /// Cache folder (default: $SDEC_TUNE_DIR or .sdec/tune).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Timed runs per configuration (the median is kept; at least 20).
    #[arg(long, default_value_t = 25)]
    pub runs: usize,
    /// Seed of the verification and timing inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the report (every row, the counters) here as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Tune nothing: where the cache in this folder chose another winner than this run's cache,
    /// time both winners again side by side (interleaved) and report the ratio.
    #[arg(long, value_name = "OTHER_CACHE")]
    pub referee: Option<PathBuf>,
    /// Tune nothing and need no GPU: replay --strategy against the exhaustive run recorded in
    /// this cache folder or cache file (`tune.json`, or `.json.gz`; each configuration's
    /// recorded time) and report where it lands.
    #[arg(long, value_name = "EXHAUSTIVE_CACHE")]
    pub replay: Option<PathBuf>,
    /// Tune nothing: choose among each tuned entry's fastest configurations (within 10% alone)
    /// by the time of this policy's decode step (module `refine`), and record the choices.
    #[arg(long, value_name = "POLICY")]
    pub refine: Option<String>,
    /// The model of --refine's step (a synthetic preset).
    #[arg(long, default_value = "synthetic:llama-3.1-8b", requires = "refine")]
    pub refine_model: String,
    /// The context of --refine's step (e.g. 128k).
    #[arg(long, default_value = "128k", requires = "refine")]
    pub refine_context: String,
    /// The batch of --refine's step.
    #[arg(long, default_value_t = 1, requires = "refine")]
    pub refine_batch: usize,
    /// Candidates per entry beside the winner.
    #[arg(long, default_value_t = 3, requires = "refine")]
    pub refine_candidates: usize,
    /// Timed steps (SpecAttn: rounds) per step timing.
    #[arg(long, default_value_t = 24, requires = "refine")]
    pub refine_steps: usize,
}

/// One line of the final table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub family: String,
    pub label: String,
    pub bucket: String,
    /// `tuned`, `cached`, `interrupted` (budget spent) or `error`.
    pub status: String,
    pub winner: Option<String>,
    pub winner_us: Option<f64>,
    pub spread_us: Option<f64>,
    pub default: Option<String>,
    pub default_us: Option<f64>,
    pub speedup: Option<f64>,
    pub floor_us: Option<f64>,
    pub space: usize,
    pub tried: usize,
    pub failed: usize,
    pub wrong: usize,
    pub seconds: f64,
    pub note: Option<String>,
}

impl Row {
    fn from_entry(e: &Entry, status: &str) -> Row {
        Row {
            family: e.key.family.clone(),
            label: e.label.clone(),
            bucket: e.key.bucket.clone(),
            status: status.into(),
            winner: Some(e.winner.to_string()),
            winner_us: Some(e.winner_us),
            spread_us: Some(e.winner_spread_us),
            default: Some(e.default.to_string()),
            default_us: e.default_us,
            speedup: e.default_us.map(|d| d / e.winner_us),
            floor_us: e.floor_us,
            space: e.space,
            tried: e.tried,
            failed: e.failed,
            wrong: e.wrong,
            seconds: e.seconds,
            note: None,
        }
    }

    fn bare(family: &str, label: &str, bucket: &str, status: &str, note: String) -> Row {
        Row {
            family: family.into(), label: label.into(), bucket: bucket.into(), status: status.into(), winner: None, winner_us: None, spread_us: None,
            default: None, default_us: None, speedup: None, floor_us: None, space: 0, tried: 0, failed: 0, wrong: 0, seconds: 0.0, note: Some(note),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TuneReport {
    pub gpu: GpuIdentity,
    pub strategy: String,
    pub shapes: String,
    pub cache: PathBuf,
    pub seconds: f64,
    /// Configurations compiled by NVRTC, and verified then timed, in this run.
    pub compiled: usize,
    pub timed: usize,
    pub wrong: Vec<String>,
    pub copy_bandwidth_gbs: Option<f64>,
    pub phases: Phases,
    pub rows: Vec<Row>,
}

/// The identity the cache is keyed by.
pub fn gpu_identity(gpu: &Gpu) -> Result<GpuIdentity> {
    let (major, minor) = gpu.info.compute_capability;
    Ok(GpuIdentity {
        name: gpu.info.name.clone(),
        compute_capability: (major as u32, minor as u32),
        sm_count: gpu.info.sm_count as u32,
        driver: gpu.info.driver_version,
        nvrtc: nvrtc::version()?,
    })
}

fn cache_err(e: sdec_autotune::CacheError) -> SdecError {
    SdecError::Invalid(e.to_string())
}

/// Everything one run shares.
struct Ctx<'a> {
    gpu: &'a Gpu,
    identity: GpuIdentity,
    limits: DeviceLimits,
    cache: Cache,
    progress: Progress,
    store: CubinStore,
    strategy: Strategy,
    policy: TimingPolicy,
    seed: u64,
    force: bool,
    deadline: Option<Instant>,
    bar: ProgressBar,
    bandwidth: Option<f64>,
    compiled: usize,
    timed: usize,
    wrong: Vec<String>,
    /// Wall seconds spent compiling (and loading), verifying and timing.
    phases: Phases,
    /// Compiles started during an entry for the family's next one (what it measures first),
    /// held by the run so that they outlive the entry's measurer; and what they gave, by key,
    /// until an entry takes it. Each entry waited for its first kernels otherwise: 8 s of a
    /// 37 s descent (docs/results/tune.md, session 29).
    ahead: compiling::Background,
    ahead_done: HashMap<KernelKey, std::result::Result<Vec<u8>, String>>,
    /// The next family's first entry, compiled ahead during this family's last one (each
    /// family's first entry waited for its kernels: ~0.1–0.3 s, a tenth of a descent in all).
    next_family: Option<(FamilyAhead, Preset, Option<Vec<String>>)>,
}

/// Where a run's wall time went, in seconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    pub compile_s: f64,
    /// Of `compile_s`: NVRTC alone (the rest reads the CUBIN store and loads modules).
    pub nvrtc_s: f64,
    pub verify_s: f64,
    /// Of `verify_s`: the GPU runs of the cases with their inputs and downloads (the rest is the
    /// reference checks on CPU threads).
    pub verify_gpu_s: f64,
    pub time_s: f64,
}

/// The GPU measurer of one entry.
struct GpuMeasurer<'c, 'a, F: TuneFamily> {
    ctx: &'c mut Ctx<'a>,
    label: &'c str,
    shape: &'c F::Shape,
    configs: &'c [F::Config],
    bench: F::Bench,
    /// CUBINs compiled (or read from the store) for this entry, to store the winner's.
    cubins: HashMap<KernelKey, Vec<u8>>,
    /// Keys NVRTC rejected, with the reason (not compiled again when measured after `prepare`).
    rejected: HashMap<KernelKey, String>,
    /// What `prepare` started compiling and nobody has waited for yet.
    background: compiling::Background,
}

fn short(reason: &str) -> String {
    let one: String = reason.lines().filter(|l| !l.trim().is_empty()).take(4).collect::<Vec<_>>().join(" | ");
    if one.len() > 400 { format!("{}…", &one[..one.char_indices().nth(400).map(|(i, _)| i).unwrap_or(one.len())]) } else { one }
}

impl<F: TuneFamily> GpuMeasurer<'_, '_, F> {
    fn config_text(&self, i: usize) -> String {
        serde_json::to_string(&self.configs[i]).unwrap_or_default()
    }

    /// The indices' modules that are neither loaded, compiled, rejected nor compiling: the
    /// store's CUBINs (taken at once), and jobs for the rest (each key once).
    fn unprepared(&mut self, indices: &[usize]) -> Vec<(KernelKey, Job)> {
        let arch = self.ctx.gpu.arch();
        let mut todo: BTreeMap<KernelKey, Job> = BTreeMap::new();
        for &i in indices {
            let key = F::key(&self.configs[i], self.shape, &arch);
            if self.ctx.gpu.has_module(&key) || self.cubins.contains_key(&key) || self.rejected.contains_key(&key) || self.background.is_pending(&key) {
                continue;
            }
            // Compiled, or compiling, since the entry before (`load` waits for the latter).
            if self.take_ahead(&key, false) || self.ctx.ahead.is_pending(&key) {
                continue;
            }
            if let Some(bytes) = self.ctx.store.get(&key) {
                self.cubins.insert(key, bytes);
            } else {
                todo.entry(key).or_insert_with(|| Job::of::<F>(&self.configs[i], self.shape, &arch));
            }
        }
        self.ctx.compiled += todo.len();
        todo.into_iter().collect()
    }

    /// Keeps compiled CUBINs, and NVRTC's reasons for those it rejected, by key.
    fn keep(&mut self, compiled: Vec<compiling::Compiled>) {
        for (key, result) in compiled {
            match result {
                Ok(bytes) => {
                    self.cubins.insert(key, bytes);
                }
                Err(e) => {
                    self.rejected.insert(key, format!("compile: {}", short(&e)));
                }
            }
        }
    }

    /// Takes `key`'s CUBIN (or NVRTC's reason) from the run's compiles ahead when they have it,
    /// waiting for it if `wait` and it is still compiling: true when taken.
    fn take_ahead(&mut self, key: &KernelKey, wait: bool) -> bool {
        if self.ctx.ahead.is_pending(key) {
            let waiting = if wait { std::slice::from_ref(key) } else { &[] };
            for (k, result) in self.ctx.ahead.collect(waiting) {
                self.ctx.ahead_done.insert(k, result);
            }
        }
        match self.ctx.ahead_done.remove(key) {
            Some(result) => {
                self.keep(vec![(key.clone(), result)]);
                true
            }
            None => false,
        }
    }

    /// Loads the module of every index (the store's CUBIN, what `prepare` compiled in the
    /// background — waiting for it if need be —, else NVRTC in parallel now); the error of those
    /// that fail.
    fn load(&mut self, indices: &[usize]) -> BTreeMap<usize, String> {
        let gpu = self.ctx.gpu;
        let arch = gpu.arch();
        let nvrtc_started = Instant::now();
        let jobs = self.unprepared(indices);
        let (keys, jobs): (Vec<KernelKey>, Vec<Job>) = jobs.into_iter().unzip();
        let compiled: Vec<compiling::Compiled> =
            keys.into_iter().zip(compile_many(&jobs, &|_| {})).map(|(key, result)| (key, result.map_err(|e| e.to_string()))).collect();
        self.keep(compiled);
        let wanted: Vec<KernelKey> = indices.iter().map(|&i| F::key(&self.configs[i], self.shape, &arch)).collect();
        let arrived = self.background.collect(&wanted);
        self.keep(arrived);
        for key in &wanted {
            self.take_ahead(key, true);
        }
        self.ctx.phases.nvrtc_s += nvrtc_started.elapsed().as_secs_f64();
        let mut errors = BTreeMap::new();
        for &i in indices {
            let key = F::key(&self.configs[i], self.shape, &arch);
            if let Some(e) = self.rejected.get(&key) {
                errors.insert(i, e.clone());
                continue;
            }
            if !gpu.has_module(&key) {
                let bytes = self.cubins.get(&key).cloned().unwrap_or_default();
                if let Err(e) = gpu.insert_ptx(key.clone(), cudarc::nvrtc::Ptx::from_binary(bytes)) {
                    errors.insert(i, format!("load: {}", short(&e.to_string())));
                }
            }
        }
        errors
    }
}

impl<F: TuneFamily> Measurer for GpuMeasurer<'_, '_, F> {
    /// Starts compiling them in the background (see `compiling`); loading, and their errors,
    /// come when they are measured.
    fn prepare(&mut self, indices: &[usize]) {
        let started = Instant::now();
        let jobs = self.unprepared(indices);
        self.background.start(jobs);
        self.ctx.phases.compile_s += started.elapsed().as_secs_f64();
    }

    fn measure(&mut self, index: usize) -> Measurement {
        self.measure_batch(&[index]).pop().unwrap_or(Measurement::Failed { reason: "not measured".into() })
    }

    fn measure_batch(&mut self, indices: &[usize]) -> Vec<Measurement> {
        let gpu = self.ctx.gpu;
        let started = Instant::now();
        let mut out: BTreeMap<usize, Measurement> = self.load(indices).into_iter().map(|(i, reason)| (i, Measurement::Failed { reason })).collect();
        let loaded_at = Instant::now();
        self.ctx.phases.compile_s += (loaded_at - started).as_secs_f64();
        // Verify: the GPU runs each case, the CPU checks run in parallel afterwards.
        let mut checks = Vec::new();
        let loaded: Vec<usize> = indices.iter().copied().filter(|i| !out.contains_key(i)).collect();
        for i in loaded {
            let config = &self.configs[i];
            let vshape = F::verify_shape(self.shape, config);
            if let Err(v) = F::check(config, &vshape, &self.ctx.limits) {
                out.insert(i, Measurement::Failed { reason: format!("cannot be verified on {vshape:?}: {v}") });
                continue;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(self.ctx.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fnv(self.label) ^ fnv(F::NAME));
            match F::run_case(gpu, config, &vshape, &mut rng) {
                Ok(check) => checks.push((i, check)),
                Err(e) => {
                    out.insert(i, Measurement::Failed { reason: format!("launch: {}", short(&e.to_string())) });
                }
            }
        }
        self.ctx.phases.verify_gpu_s += loaded_at.elapsed().as_secs_f64();
        let verdicts: Vec<(usize, Option<String>)> = checks.into_par_iter().map(|(i, check)| (i, check())).collect();
        let mut passed = Vec::new();
        for (i, verdict) in verdicts {
            match verdict {
                None => passed.push(i),
                Some(reason) => {
                    let line = format!("{} {} config {}: {}", F::NAME, self.label, self.config_text(i), reason);
                    self.ctx.bar.suspend(|| eprintln!("WRONG (never chosen): {line}"));
                    self.ctx.wrong.push(line);
                    out.insert(i, Measurement::Wrong { reason });
                }
            }
        }
        passed.sort_unstable();
        self.ctx.phases.verify_s += loaded_at.elapsed().as_secs_f64();
        self.time_verified(&passed, &mut out);
        self.ctx.bar.inc(indices.len() as u64);
        self.report_failures(indices, out)
    }

    /// Loads their modules (a resumed run's were verified by the run it continues) and times
    /// them; verifying again would run the same case on the same inputs.
    fn retime(&mut self, indices: &[usize]) -> Vec<Measurement> {
        let started = Instant::now();
        let mut out: BTreeMap<usize, Measurement> = self.load(indices).into_iter().map(|(i, reason)| (i, Measurement::Failed { reason })).collect();
        self.ctx.phases.compile_s += started.elapsed().as_secs_f64();
        let loaded: Vec<usize> = indices.iter().copied().filter(|i| !out.contains_key(i)).collect();
        self.time_verified(&loaded, &mut out);
        self.report_failures(indices, out)
    }
}

impl<F: TuneFamily> GpuMeasurer<'_, '_, F> {
    /// Times each of `verified` into `out`.
    fn time_verified(&mut self, verified: &[usize], out: &mut BTreeMap<usize, Measurement>) {
        let started = Instant::now();
        for &i in verified {
            let m = match F::time_config(self.ctx.gpu, &mut self.bench, &self.configs[i], self.shape, self.ctx.policy) {
                Ok(samples) => Measurement::from_samples(&samples),
                Err(e) => Measurement::Failed { reason: format!("timing: {}", short(&e.to_string())) },
            };
            self.ctx.timed += 1;
            out.insert(i, m);
        }
        self.ctx.phases.time_s += started.elapsed().as_secs_f64();
    }

    /// Logs the failures among `out` and returns one measurement per index, in order.
    fn report_failures(&mut self, indices: &[usize], mut out: BTreeMap<usize, Measurement>) -> Vec<Measurement> {
        for (i, m) in &out {
            if let Measurement::Failed { reason } = m {
                let line = format!("failed {} {} config {}: {}", F::NAME, self.label, self.config_text(*i), reason);
                self.ctx.bar.suspend(|| eprintln!("{line}"));
            }
        }
        indices.iter().map(|i| out.remove(i).unwrap_or(Measurement::Failed { reason: "not measured".into() })).collect()
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Tunes (or reads from the cache) every selected shape of family `F`.
fn tune_family<F: TuneFamily>(ctx: &mut Ctx, shapes: &[sdec_autotune::PresetShape<F::Shape>]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (at, s) in shapes.iter().enumerate() {
        if let Some(next) = shapes.get(at + 1) {
            compile_ahead::<F>(ctx, &next.shape);
        } else if let Some((ahead, preset, labels)) = ctx.next_family.take() {
            ahead(ctx, preset, labels.as_deref());
        }
        rows.push(tune_entry::<F>(ctx, &s.label, &s.shape));
    }
    rows
}

/// Starts compiling what the strategy measures first for the entry at `shape` (see `Ctx::ahead`),
/// unless the cache holds that entry (a second run compiles nothing).
fn compile_ahead<F: TuneFamily>(ctx: &mut Ctx, shape: &F::Shape) {
    let key = EntryKey { gpu: ctx.identity.clone(), family: F::NAME.into(), source_hash: source_hash::<F>(), bucket: bucket_id::<F>(shape) };
    if !ctx.force && matches!(ctx.cache.lookup(&key), Lookup::Hit(_)) {
        return;
    }
    let (configs, space) = space_of::<F>(shape, &ctx.limits);
    let arch = ctx.gpu.arch();
    let mut jobs: BTreeMap<KernelKey, Job> = BTreeMap::new();
    for i in ctx.strategy.first_measured(&space) {
        let key = F::key(&configs[i], shape, &arch);
        if ctx.gpu.has_module(&key) || ctx.ahead.is_pending(&key) || ctx.ahead_done.contains_key(&key) || ctx.store.path(&key).exists() {
            continue;
        }
        jobs.entry(key).or_insert_with(|| Job::of::<F>(&configs[i], shape, &arch));
    }
    ctx.compiled += jobs.len();
    ctx.ahead.start(jobs.into_iter().collect());
}

/// How often an entry's measurements so far are saved for `--resume` (each save writes and syncs
/// the progress file; after every batch, descent's ~500 small batches paid for ~500 syncs). A
/// search the budget stops saves at once; a killed run loses at most this much.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

fn tune_entry<F: TuneFamily>(ctx: &mut Ctx, label: &str, shape: &F::Shape) -> Row {
    let bucket = bucket_id::<F>(shape);
    let key = EntryKey { gpu: ctx.identity.clone(), family: F::NAME.into(), source_hash: source_hash::<F>(), bucket: bucket.clone() };
    if !ctx.force {
        match ctx.cache.lookup(&key) {
            Lookup::Hit(e) => {
                let row = Row::from_entry(e, "cached");
                // The space of a cached entry is not measured again.
                ctx.bar.inc(ctx.strategy.budget(e.space) as u64);
                return row;
            }
            Lookup::Untrusted { reason } => ctx.bar.suspend(|| eprintln!("note: the cached {} {label} is not trusted ({reason}); tuning it again", F::NAME)),
            Lookup::Miss => {}
        }
    }
    let (configs, space) = space_of::<F>(shape, &ctx.limits);
    if ctx.deadline.is_some_and(|d| Instant::now() >= d) {
        return Row::bare(F::NAME, label, &bucket, "interrupted", "time budget spent before it started; run again with --resume".into());
    }
    ctx.bar.set_message(format!("{} {label}", F::NAME));
    let started = Instant::now();
    let strategy_name = ctx.strategy.name();
    // Measurements an interrupted run saved, matched to today's indices by configuration.
    let by_config: HashMap<String, usize> = configs.iter().enumerate().map(|(i, c)| (serde_json::to_value(c).unwrap_or_default().to_string(), i)).collect();
    let known: BTreeMap<usize, Measurement> =
        ctx.progress.get(&key, &strategy_name).iter().filter_map(|m| by_config.get(&m.config.to_string()).map(|&i| (i, m.result.clone()))).collect();
    // Descent starts from the winners of the family's other shapes on this GPU (latest first).
    let hints: Vec<usize> = ctx
        .cache
        .file
        .entries
        .iter()
        .rev()
        .filter(|e| e.key.family == key.family && e.key.gpu == key.gpu && e.key.source_hash == key.source_hash && e.key.bucket != key.bucket)
        .filter_map(|e| by_config.get(&e.winner.to_string()).copied())
        .take(sdec_autotune::replay::HINTS)
        .collect();
    if !known.is_empty() {
        ctx.bar.suspend(|| eprintln!("resume: {} {label}: {} configurations measured before", F::NAME, known.len()));
        ctx.bar.inc(known.len() as u64);
    }
    if ctx.bandwidth.is_none() {
        ctx.bandwidth = crate::bench::copy_bandwidth(ctx.gpu).ok();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ fnv(label) ^ fnv(F::NAME));
    let bench = match F::bench_setup(ctx.gpu, shape, &mut rng) {
        Ok(b) => b,
        Err(e) => return Row::bare(F::NAME, label, &bucket, "error", format!("cannot set up the inputs: {e}")),
    };
    let measured_list = |results: &BTreeMap<usize, Measurement>| -> Vec<Measured> {
        results.iter().map(|(i, m)| Measured { index: *i, config: serde_json::to_value(configs[*i]).unwrap_or_default(), result: m.clone() }).collect()
    };
    let strategy = ctx.strategy;
    let deadline = ctx.deadline;
    let mut progress = std::mem::replace(&mut ctx.progress, Progress::empty(Path::new(".")));
    let outcome = {
        let mut measurer = GpuMeasurer::<F> { ctx, label, shape, configs: &configs, bench, cubins: HashMap::new(), rejected: HashMap::new(), background: Default::default() };
        let stop = || deadline.is_some_and(|d| Instant::now() >= d);
        let mut saved_at: Option<Instant> = None;
        let mut save = |results: &BTreeMap<usize, Measurement>, now: bool| {
            if !now && saved_at.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
                return;
            }
            saved_at = Some(Instant::now());
            progress.set(&key, &strategy_name, measured_list(results));
            if let Err(e) = progress.save() {
                eprintln!("warning: cannot save progress: {e}");
            }
        };
        let outcome = search_from(strategy, &space, &mut measurer, known, &hints, &stop, &mut |results| save(results, false));
        if !outcome.complete {
            save(&outcome.results, true);
        }
        (outcome, measurer.cubins)
    };
    let (outcome, cubins) = outcome;
    ctx.progress = progress;
    let seconds = started.elapsed().as_secs_f64();
    if !outcome.complete {
        return Row::bare(F::NAME, label, &bucket, "interrupted", format!("time budget spent after {} configurations; run again with --resume", outcome.results.len()));
    }
    let count = |f: fn(&Measurement) -> bool| outcome.results.values().filter(|m| f(m)).count();
    let (failed, wrong) = (count(Measurement::is_failed), count(Measurement::is_wrong));
    let Some(w) = outcome.winner else {
        let mut row = Row::bare(F::NAME, label, &bucket, "error", "no configuration could be verified and timed".into());
        (row.space, row.tried, row.failed, row.wrong, row.seconds) = (configs.len(), outcome.results.len(), failed, wrong, seconds);
        return row;
    };
    let (winner_us, spread) = outcome.results[&w].timed().unwrap_or_default();
    let arch = ctx.gpu.arch();
    let winner_kernel = F::key(&configs[w], shape, &arch);
    for i in [w, 0] {
        let k = F::key(&configs[i], shape, &arch);
        if let Some(bytes) = cubins.get(&k) {
            if let Err(e) = ctx.store.put(&k, bytes) {
                eprintln!("warning: cannot store the compiled kernel: {e}");
            }
        }
    }
    let entry = Entry {
        key: key.clone(),
        label: label.into(),
        shape: serde_json::to_value(shape).unwrap_or_default(),
        strategy: ctx.strategy.name(),
        winner: serde_json::to_value(configs[w]).unwrap_or_default(),
        winner_kernel,
        winner_us,
        winner_spread_us: spread,
        default: serde_json::to_value(configs[0]).unwrap_or_default(),
        default_us: outcome.results.get(&0).and_then(|m| m.timed()).map(|t| t.0),
        floor_us: ctx.bandwidth.map(|bw| F::bytes(shape) / bw * 1e6),
        space: configs.len(),
        tried: outcome.results.len(),
        failed,
        wrong,
        seconds,
        tuned_at_unix: now_unix(),
        measured: measured_list(&outcome.results),
        refined: None,
        refined_by: Default::default(),
    };
    let row = Row::from_entry(&entry, "tuned");
    ctx.cache.insert(entry);
    if let Err(e) = ctx.cache.save() {
        eprintln!("error: {e}");
    }
    ctx.progress.remove(&key);
    let _ = ctx.progress.save();
    row
}

type FamilyTuner = fn(&mut Ctx, Preset, Option<&[String]>) -> Vec<Row>;
type FamilyLabels = fn(Preset) -> Vec<String>;
type FamilyReferee = fn(&mut Ctx, &Cache, Preset, Option<&[String]>) -> Vec<referee::RefereeRow>;
/// Compiles ahead what the family's first selected entry measures first.
type FamilyAhead = fn(&mut Ctx, Preset, Option<&[String]>);

fn selected<F: TuneFamily>(preset: Preset, labels: Option<&[String]>) -> Vec<sdec_autotune::PresetShape<F::Shape>> {
    F::preset(preset).into_iter().filter(|s| labels.is_none_or(|l| l.contains(&s.label))).collect()
}

fn ahead_of<F: TuneFamily>() -> FamilyAhead {
    |ctx, preset, labels| {
        if let Some(first) = selected::<F>(preset, labels).first() {
            compile_ahead::<F>(ctx, &first.shape);
        }
    }
}

fn tuner<F: TuneFamily>() -> (&'static str, FamilyTuner, FamilyLabels, FamilyReferee) {
    (
        F::NAME,
        |ctx, preset, labels| tune_family::<F>(ctx, &selected::<F>(preset, labels)),
        |preset| F::preset(preset).into_iter().map(|s| s.label).collect(),
        |ctx, other, preset, labels| selected::<F>(preset, labels).into_iter().map(|s| referee::referee_entry::<F>(ctx, other, &s.label, &s.shape)).collect(),
    )
}

/// Every tunable family, in the registry's order.
fn tuners() -> Vec<(&'static str, FamilyTuner, FamilyLabels, FamilyReferee)> {
    tuners_ahead().into_iter().map(|(t, _)| t).collect()
}

/// [`tuners`], each with its [`FamilyAhead`].
fn tuners_ahead() -> Vec<((&'static str, FamilyTuner, FamilyLabels, FamilyReferee), FamilyAhead)> {
    fn with<F: TuneFamily>() -> ((&'static str, FamilyTuner, FamilyLabels, FamilyReferee), FamilyAhead) {
        (tuner::<F>(), ahead_of::<F>())
    }
    vec![
        with::<Topk>(),
        with::<BlockScore>(),
        with::<DecodeAttention>(),
        with::<GatherAttention>(),
        with::<ChunkAttention>(),
        with::<RmsNorm>(),
        with::<Rope>(),
        with::<Swiglu>(),
        with::<KvAppend>(),
        with::<Argmax>(),
        with::<Linear>(),
    ]
}

/// The validated selection: families, the preset and the labels within it.
pub struct Selection {
    pub families: Vec<&'static str>,
    pub preset: Preset,
    pub labels: Option<Vec<String>>,
}

/// Checks `--family` and `--shapes`, naming the valid values on a mistake.
pub fn select(family: &[String], shapes: &str) -> Result<Selection> {
    let all: Vec<&'static str> = tuners().iter().map(|t| t.0).collect();
    let mut families = Vec::new();
    for f in family.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if f == "all" {
            families = all.clone();
            break;
        }
        match all.iter().find(|n| **n == f) {
            Some(n) if !families.contains(n) => families.push(*n),
            Some(_) => {}
            None => return Err(SdecError::Invalid(format!("unknown family `{f}`; the families are: all, {}", all.join(", ")))),
        }
    }
    if families.is_empty() {
        families = all.clone();
    }
    if let Some(preset) = Preset::parse(shapes.trim()) {
        return Ok(Selection { families, preset, labels: None });
    }
    let labels: Vec<String> = shapes.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let valid: Vec<String> = tuners().iter().filter(|t| families.contains(&t.0)).flat_map(|t| (t.2)(Preset::Standard)).collect();
    if let Some(bad) = labels.iter().find(|l| !valid.contains(l)) {
        let mut unique = valid.clone();
        unique.sort();
        unique.dedup();
        return Err(SdecError::Invalid(format!(
            "unknown shape preset or label `{bad}`; the presets are: {}; the standard preset's labels for the chosen families are: {}",
            Preset::NAMES.join(", "),
            unique.join(", ")
        )));
    }
    if labels.is_empty() {
        return Err(SdecError::Invalid(format!("no shapes given; the presets are: {}", Preset::NAMES.join(", "))));
    }
    Ok(Selection { families, preset: Preset::Standard, labels: Some(labels) })
}

/// `sdec tune`: tunes, prints the table, writes the JSON. Ok(false) when a configuration
/// computed a wrong answer (reported loudly).
pub fn run(args: &TuneArgs) -> Result<bool> {
    if let Some(dir) = &args.replay {
        let rows = replay(dir, strategy_of(args)?)?;
        print_replay(&rows);
        write_json(args.json.as_deref(), &rows)?;
        return Ok(true);
    }
    if let Some(policy) = &args.refine {
        let report = refine::refine(args, policy)?;
        refine::print_table(&report);
        write_json(args.json.as_deref(), &report)?;
        return Ok(true);
    }
    if args.referee.is_some() {
        let report = referee(args)?;
        referee::print_table(&report);
        write_json(args.json.as_deref(), &report)?;
        return Ok(true);
    }
    let report = tune(args)?;
    print_table(&report);
    write_json(args.json.as_deref(), &report)?;
    Ok(report.wrong.is_empty())
}

fn write_json(path: Option<&Path>, report: &impl Serialize) -> Result<()> {
    if let Some(path) = path {
        let text = serde_json::to_string_pretty(report).map_err(|e| SdecError::Invalid(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| SdecError::Invalid(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// `sdec tune --referee OTHER`: judges the entries where the two caches disagree (module
/// `referee`).
pub fn referee(args: &TuneArgs) -> Result<referee::RefereeReport> {
    let selection = select(&args.family, &args.shapes)?;
    let other_dir = args.referee.clone().unwrap_or_default();
    let other = Cache::load(&other_dir);
    if let Some(problem) = &other.problem {
        return Err(SdecError::Invalid(format!("the other cache {}: {problem}", other_dir.display())));
    }
    if other.file.entries.is_empty() {
        return Err(SdecError::Invalid(format!("the other cache {} holds no tuned entries", other_dir.display())));
    }
    let dir = preflight(args)?;
    let gpu = Gpu::open(0)?;
    let mut ctx = context(args, &gpu, &dir, Strategy::Exhaustive)?;
    eprintln!("referee on {}: {} against {}", ctx.identity, dir.display(), other_dir.display());
    let mut rows = Vec::new();
    for (_, _, _, judge) in tuners().into_iter().filter(|t| selection.families.contains(&t.0)) {
        rows.extend(judge(&mut ctx, &other, selection.preset, selection.labels.as_deref()));
    }
    ctx.bar.finish_and_clear();
    Ok(referee::RefereeReport { gpu: ctx.identity.clone(), cache: dir, other: other_dir, rounds: referee::REFEREE_ROUNDS, rows })
}

/// Tunes what `args` select and returns the report (nothing printed but progress and warnings).
pub fn tune(args: &TuneArgs) -> Result<TuneReport> {
    let selection = select(&args.family, &args.shapes)?;
    let strategy = strategy_of(args)?;
    let dir = preflight(args)?;
    let gpu = Gpu::open(0)?;
    let started = Instant::now();
    let mut ctx = context(args, &gpu, &dir, strategy)?;
    if args.resume {
        ctx.progress = Progress::load(&dir);
        if let Some(problem) = &ctx.progress.problem {
            eprintln!("warning: {problem}; resuming from scratch");
        }
    }
    eprintln!("tuning on {}, strategy {}, cache {}", ctx.identity, strategy.name(), dir.display());
    let chosen: Vec<_> = tuners_ahead().into_iter().filter(|t| selection.families.contains(&t.0 .0)).collect();
    // The bar's length: the budget of every selected entry's space.
    let planned: u64 = chosen.iter().map(|t| planned_configs(t.0 .0, selection.preset, selection.labels.as_deref(), &ctx.limits, strategy)).sum();
    ctx.bar.set_length(planned);
    let mut rows = Vec::new();
    for (at, ((_, tune, _, _), _)) in chosen.iter().enumerate() {
        ctx.next_family = chosen.get(at + 1).map(|next| (next.1, selection.preset, selection.labels.clone()));
        rows.extend(tune(&mut ctx, selection.preset, selection.labels.as_deref()));
    }
    ctx.bar.finish_and_clear();
    let report = TuneReport {
        gpu: ctx.identity.clone(),
        strategy: strategy.name(),
        shapes: args.shapes.clone(),
        cache: dir,
        seconds: started.elapsed().as_secs_f64(),
        compiled: ctx.compiled,
        timed: ctx.timed,
        wrong: ctx.wrong,
        copy_bandwidth_gbs: ctx.bandwidth.map(|b| b / 1e9),
        phases: ctx.phases,
        rows,
    };
    Ok(report)
}

/// The strategy the arguments ask for.
fn strategy_of(args: &TuneArgs) -> Result<Strategy> {
    if !(args.descent_fraction > 0.0 && args.descent_fraction <= 1.0) {
        return Err(SdecError::Invalid(format!("--descent-fraction {} is outside (0, 1]", args.descent_fraction)));
    }
    if args.descent_min == 0 {
        return Err(SdecError::Invalid("--descent-min 0: descent measures at least one configuration".into()));
    }
    Ok(match args.strategy {
        StrategyArg::Exhaustive => Strategy::Exhaustive,
        StrategyArg::Descent => Strategy::Descent { fraction: args.descent_fraction, min: args.descent_min },
    })
}

/// `sdec tune --replay PATH`: the strategy replayed over the recorded exhaustive entries of a
/// cache folder, or of a cache file (`tune.json`, or gzipped as the GPU runs' records keep them).
pub fn replay(dir: &Path, strategy: Strategy) -> Result<Vec<sdec_autotune::ReplayRow>> {
    let cannot = |why: String| SdecError::Invalid(format!("cannot replay {}: {why}", dir.display()));
    let file = if dir.is_file() {
        read_cache_file(dir).map_err(cannot)?
    } else if dir.is_dir() {
        let cache = Cache::load(dir);
        if let Some(problem) = &cache.problem {
            return Err(cannot(unreplayable(problem)));
        }
        cache.file
    } else {
        return Err(cannot("no such file or folder".into()));
    };
    let exhaustive: Vec<Entry> = file.entries.iter().filter(|e| e.strategy == "exhaustive" && e.tried == e.space).cloned().collect();
    if exhaustive.is_empty() {
        return Err(SdecError::Invalid(format!("cannot replay {}: it holds no entry tuned by the exhaustive strategy", dir.display())));
    }
    Ok(sdec_autotune::replay(&exhaustive, &params_of, &kernel_of, strategy))
}

/// A cache file by its path, gunzipped where its name ends in `.gz`; why not, where it cannot be
/// read as one.
fn read_cache_file(path: &Path) -> std::result::Result<sdec_autotune::cache::CacheFile, String> {
    let raw = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = if path.extension().is_some_and(|x| x == "gz") {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text).map_err(|e| format!("not gzip data ({e})"))?;
        text
    } else {
        raw
    };
    sdec_autotune::parse_cache_file(&text, path).map_err(|e| unreplayable(&e))
}

/// A cache problem as a replay states it (a replay reads; it replaces nothing).
fn unreplayable(e: &sdec_autotune::CacheError) -> String {
    match e {
        sdec_autotune::CacheError::Corrupt { reason, .. } => format!("not a tuning cache ({reason})"),
        sdec_autotune::CacheError::Schema { found, expected, .. } => format!("a tuning cache of schema {found}; this sdec reads schema {expected}"),
        other => other.to_string(),
    }
}

/// What a replay needs of a family: its declared parameters (in order), and the key of the
/// kernel a configuration of an entry compiles to (its recorded shape rendered for the recorded
/// GPU's arch), by which the replay counts compiles.
struct ReplayFamily {
    params: &'static [sdec_kernels::family::ParamInfo],
    kernel: fn(&Entry, &serde_json::Value) -> Option<String>,
}

fn replay_family(family: &str) -> Option<ReplayFamily> {
    fn of<F: sdec_kernels::KernelFamily>() -> Option<ReplayFamily> {
        fn kernel<F: sdec_kernels::KernelFamily>(e: &Entry, config: &serde_json::Value) -> Option<String> {
            let shape: F::Shape = serde_json::from_value(e.shape.clone()).ok()?;
            let config: F::Config = serde_json::from_value(config.clone()).ok()?;
            let (major, minor) = e.key.gpu.compute_capability;
            Some(F::key(&config, &shape, &format!("sm_{major}{minor}")).0)
        }
        Some(ReplayFamily { params: F::PARAMS, kernel: kernel::<F> })
    }
    match family {
        "topk" => of::<Topk>(),
        "block_score" => of::<BlockScore>(),
        "decode_attention" => of::<DecodeAttention>(),
        "gather_attention" => of::<GatherAttention>(),
        "chunk_attention" => of::<ChunkAttention>(),
        "rmsnorm" => of::<RmsNorm>(),
        "rope" => of::<Rope>(),
        "swiglu" => of::<Swiglu>(),
        "kv_append" => of::<KvAppend>(),
        "argmax" => of::<Argmax>(),
        "linear" => of::<Linear>(),
        _ => None,
    }
}

fn params_of(family: &str) -> Option<&'static [sdec_kernels::family::ParamInfo]> {
    replay_family(family).map(|f| f.params)
}

fn kernel_of(e: &Entry, config: &serde_json::Value) -> Option<String> {
    (replay_family(&e.key.family)?.kernel)(e, config)
}

fn print_replay(rows: &[sdec_autotune::ReplayRow]) {
    println!("| family | shape | space | measured | compiled (new) | winner | recorded µs | exhaustive µs | ratio |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | `{}` | {:.1} | {:.1} | {:.3}{} |",
            r.family, r.label, r.space, r.measured, r.compiled, r.winner, r.winner_us, r.exhaustive_us, r.ratio, if r.ratio > 1.03 { " NO" } else { "" }
        );
    }
    let (space, measured, compiled) = rows.iter().fold((0, 0, 0), |a, r| (a.0 + r.space, a.1 + r.measured, a.2 + r.compiled));
    let within = rows.iter().filter(|r| r.ratio <= 1.03).count();
    let (recorded, estimated) = rows.iter().fold((0.0, 0.0), |a, r| (a.0 + r.recorded_s, a.1 + r.estimated_s));
    println!(
        "{within} of {} entries within 3% of the exhaustive winner; {measured} measurements over spaces of {space} configurations in all ({:.0}%), {compiled} compiled",
        rows.len(),
        100.0 * measured as f64 / space.max(1) as f64
    );
    println!(
        "at the recorded run's cost per configuration of each entry: ~{estimated:.1} s of its {recorded:.1} s ({:.2}; a lower bound for descent, which took ~1.3x that on the GPU in session 32)",
        estimated / recorded.max(f64::MIN_POSITIVE)
    );
}

/// Checks the arguments that need no GPU (so their errors come first): the runs, the report's
/// folder, and that the cache folder is writable, which it returns.
fn preflight(args: &TuneArgs) -> Result<PathBuf> {
    if args.runs < 20 {
        return Err(SdecError::Invalid(format!("--runs {} is too few: at least 20 timed runs per configuration", args.runs)));
    }
    if args.json.as_ref().is_some_and(|p| p.parent().is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir())) {
        return Err(SdecError::Invalid(format!("cannot write the report: the folder of {} does not exist", args.json.as_ref().map(|p| p.display().to_string()).unwrap_or_default())));
    }
    let dir = cache_dir(args.cache.as_deref());
    cache::ensure_writable(&dir).map_err(cache_err)?;
    Ok(dir)
}

/// What a run shares: the cache in `dir` (checked by [`preflight`]), the GPU's identity and
/// limits, the timing policy, the deadline and the progress bar.
fn context<'a>(args: &TuneArgs, gpu: &'a Gpu, dir: &Path, strategy: Strategy) -> Result<Ctx<'a>> {
    let identity = gpu_identity(gpu)?;
    let started = Instant::now();
    let cache = Cache::load(dir);
    if let Some(problem) = &cache.problem {
        eprintln!("warning: {problem}");
    }
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{spinner} tune {msg} [{bar:40}] {pos}/{len} configurations ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let ctx = Ctx {
        gpu,
        limits: gpu.limits(),
        store: CubinStore::new(dir, &identity.nvrtc),
        identity,
        cache,
        progress: Progress::empty(dir),
        strategy,
        policy: TimingPolicy { warmup: 3, runs: args.runs },
        seed: args.seed,
        force: args.force,
        deadline: args.budget_s.map(|s| started + std::time::Duration::from_secs_f64(s.max(0.0))),
        bar,
        bandwidth: None,
        compiled: 0,
        timed: 0,
        wrong: Vec::new(),
        phases: Phases::default(),
        ahead: Default::default(),
        ahead_done: HashMap::new(),
        next_family: None,
    };
    Ok(ctx)
}

/// How many configurations the strategy will measure for a family's selected shapes.
fn planned_configs(family: &str, preset: Preset, labels: Option<&[String]>, limits: &DeviceLimits, strategy: Strategy) -> u64 {
    fn count<F: Tunable>(preset: Preset, labels: Option<&[String]>, limits: &DeviceLimits, strategy: Strategy) -> u64 {
        F::preset(preset)
            .iter()
            .filter(|s| labels.is_none_or(|l| l.contains(&s.label)))
            .map(|s| strategy.budget(F::valid_space(&s.shape, limits).len()) as u64)
            .sum()
    }
    match family {
        "topk" => count::<Topk>(preset, labels, limits, strategy),
        "block_score" => count::<BlockScore>(preset, labels, limits, strategy),
        "decode_attention" => count::<DecodeAttention>(preset, labels, limits, strategy),
        "gather_attention" => count::<GatherAttention>(preset, labels, limits, strategy),
        "chunk_attention" => count::<ChunkAttention>(preset, labels, limits, strategy),
        "rmsnorm" => count::<RmsNorm>(preset, labels, limits, strategy),
        "rope" => count::<Rope>(preset, labels, limits, strategy),
        "swiglu" => count::<Swiglu>(preset, labels, limits, strategy),
        "kv_append" => count::<KvAppend>(preset, labels, limits, strategy),
        "argmax" => count::<Argmax>(preset, labels, limits, strategy),
        "linear" => count::<Linear>(preset, labels, limits, strategy),
        _ => 0,
    }
}

fn print_table(r: &TuneReport) {
    let us = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
    println!("{}", r.gpu);
    println!("| family | shape | winner | µs (± spread) | default µs | speedup | byte floor µs | tried / failed / wrong | status |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in &r.rows {
        println!(
            "| {} | {} | `{}` | {} ± {} | {} | {} | {} | {} / {} / {} of {} | {}{} |",
            row.family,
            row.label,
            row.winner.as_deref().unwrap_or("-"),
            us(row.winner_us),
            us(row.spread_us),
            us(row.default_us),
            row.speedup.map(|s| format!("{s:.2}×")).unwrap_or_else(|| "-".into()),
            us(row.floor_us),
            row.tried,
            row.failed,
            row.wrong,
            row.space,
            row.status,
            row.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
    let cached = r.rows.iter().filter(|x| x.status == "cached").count();
    println!(
        "{} entries ({} tuned, {} cached) in {:.1} s, strategy {}: compiled {} configurations, timed {}, {} wrong",
        r.rows.len(),
        r.rows.iter().filter(|x| x.status == "tuned").count(),
        cached,
        r.seconds,
        r.strategy,
        r.compiled,
        r.timed,
        r.wrong.len()
    );
    println!(
        "wall time: compiling {:.1} s (NVRTC {:.1}), verifying {:.1} s (GPU runs {:.1}), timing {:.1} s, the rest (inputs, references, caches) {:.1} s",
        r.phases.compile_s,
        r.phases.nvrtc_s,
        r.phases.verify_s,
        r.phases.verify_gpu_s,
        r.phases.time_s,
        r.seconds - r.phases.compile_s - r.phases.verify_s - r.phases.time_s
    );
    if !r.wrong.is_empty() {
        println!("WRONG configurations (never chosen):");
        for w in &r.wrong {
            println!("  {w}");
        }
    }
    if r.rows.iter().any(|x| x.status == "interrupted") {
        println!("time budget spent: run again with --resume to continue");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_names_the_valid_values() {
        let e = select(&["nope".into()], "standard").err().unwrap().to_string();
        assert!(e.contains("unknown family `nope`") && e.contains("decode_attention") && e.contains("topk"), "{e}");
        let e = select(&["all".into()], "nope").err().unwrap().to_string();
        assert!(e.contains("standard, quick") && e.contains("b1-ctx128k"), "{e}");
        let s = select(&["topk".into(), "decode_attention".into()], "b1-ctx128k,64x2048-k64").unwrap();
        assert_eq!(s.families, ["topk", "decode_attention"]);
        assert_eq!(s.labels.unwrap().len(), 2);
        assert_eq!(select(&["all".into()], "quick").unwrap().families.len(), 11);
    }

    #[test]
    fn compiled_cubins_go_to_the_store() {
        if nvrtc::ensure_available().is_err() {
            eprintln!("skipped: no NVRTC");
            return;
        }
        let shape = &Topk::preset(Preset::Quick)[0].shape;
        let limits = DeviceLimits::default();
        let config = <Topk as sdec_kernels::KernelFamily>::default_config(shape, &limits).unwrap();
        let source = <Topk as sdec_kernels::KernelFamily>::render(&config, shape);
        let cubin = nvrtc::compile_cubin(&source, "sm_90", "topk", "default").unwrap();
        assert!(cubin.starts_with(b"\x7fELF"), "a CUBIN is an ELF image");
        let dir = std::env::temp_dir().join(format!("sdec-tune-store-{}", std::process::id()));
        let store = CubinStore::new(&dir, &nvrtc::version().unwrap());
        let key = <Topk as sdec_kernels::KernelFamily>::key(&config, shape, "sm_90");
        store.put(&key, &cubin).unwrap();
        assert_eq!(store.get(&key).unwrap(), cubin);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A replay counts kernels, not configurations: two entries whose shapes render a
    /// configuration alike share its kernel, others do not.
    #[test]
    fn a_replay_names_each_configuration_by_its_kernel() {
        use sdec_kernels::attention::GatherShape;
        let shapes = GatherAttention::preset(Preset::Standard);
        let limits = DeviceLimits::default();
        let config = <GatherAttention as sdec_kernels::KernelFamily>::default_config(&shapes[0].shape, &limits).unwrap();
        let key = EntryKey {
            gpu: GpuIdentity { name: "H100".into(), compute_capability: (9, 0), sm_count: 132, driver: 13000, nvrtc: "13.0".into() },
            family: "gather_attention".into(),
            source_hash: "s".into(),
            bucket: "b".into(),
        };
        let entry = |shape: &GatherShape| Entry::unmeasured(key.clone(), "l", serde_json::to_value(shape).unwrap());
        let value = serde_json::to_value(config).unwrap();
        let first = kernel_of(&entry(&shapes[0].shape), &value).unwrap();
        assert_eq!(first, <GatherAttention as sdec_kernels::KernelFamily>::key(&config, &shapes[0].shape, "sm_90").0);
        let other_group = GatherShape { group: shapes[0].shape.group + 1, ..shapes[0].shape.clone() };
        assert_ne!(kernel_of(&entry(&other_group), &value).unwrap(), first, "the group is baked into the source");
        let longer = GatherShape { context: shapes[0].shape.context * 2, capacity: shapes[0].shape.capacity * 2, ..shapes[0].shape.clone() };
        assert_eq!(kernel_of(&entry(&longer), &value).unwrap(), first, "the context is not");
        assert_eq!(kernel_of(&entry(&shapes[0].shape), &serde_json::json!({"nope": 1})), None);
    }

    #[test]
    fn the_standard_preset_is_small_enough() {
        let limits = DeviceLimits::default();
        let total: u64 = tuners().iter().map(|t| planned_configs(t.0, Preset::Standard, None, &limits, Strategy::Exhaustive)).sum();
        let fast: u64 = tuners().iter().map(|t| planned_configs(t.0, Preset::Standard, None, &limits, Strategy::Descent { fraction: sdec_autotune::DESCENT_FRACTION, min: sdec_autotune::SMALL_SPACE })).sum();
        // 2,133 configurations (48 entries) ran in 200 s on a fresh H100 and 124 s on a warm one
        // (session 5), 2,525 in 163 s on a fresh one (session 10), 3,016 in 100 s on a warm one
        // (session 28, decode_attention's `mma` 3 and the b2 verification): inside 5 minutes.
        assert!(total > 100 && total < 3300, "{total} configurations");
        // Descent measures at most 10% of each space (at least 12 configurations): under a
        // quarter of the preset in all (it stops earlier where it converges: 18% replayed,
        // session 32).
        assert!(fast * 4 < total, "descent {fast} of {total}");
    }
}

