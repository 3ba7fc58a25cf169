//! `sdec fuzz`: random shapes (with the edge cases) and configurations of every family, each
//! compared with its ndarray reference on fresh random inputs, outputs poisoned before each run.
//!
//! Every case is reproducible from (seed, family, case index): a failure prints the command that
//! runs it alone. Case i of a family uses configuration i mod |space|, so a run of at least
//! |space| cases per family covers every declared configuration.

mod attention;
mod block_score;
mod lfps;
mod glue;
pub(crate) mod inputs;
mod quest;
mod spec;
mod step;
mod topk;

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sdec_kernels::family::Shape;
use sdec_kernels::KernelFamily;
use serde::Serialize;

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::nvrtc_pool::{compile_many, Job};

/// The CPU half of a case: computes the reference and compares. None: pass; Some(why): wrong.
pub type Check = Box<dyn FnOnce() -> Option<String> + Send>;

/// What a family needs to be fuzzed: a shape sampler and one run.
pub trait FuzzFamily: KernelFamily {
    /// A random shape, edge cases included.
    fn draw_shape(rng: &mut ChaCha8Rng) -> Self::Shape;
    /// Elements the case touches, to keep runs under tools like compute-sanitizer small.
    fn size(shape: &Self::Shape) -> u64;
    /// Runs `config` on the GPU on fresh random inputs (outputs poisoned first) and returns the
    /// comparison with the reference, to be run on a CPU worker while the GPU goes on.
    fn run_case(gpu: &Gpu, config: &Self::Config, shape: &Self::Shape, rng: &mut ChaCha8Rng) -> Result<Check>;
}

/// Checks waiting for a CPU worker at most; bounds the host memory their inputs hold.
const CHECKS_IN_FLIGHT: usize = 32;

#[derive(Debug, Clone)]
pub struct FuzzOptions {
    pub families: Vec<String>,
    pub cases: usize,
    pub seed: u64,
    /// Run only this case index (from a failure's repro line).
    pub only_case: Option<usize>,
    /// Redraw shapes larger than this many elements (see [`FuzzFamily::size`]).
    pub max_size: Option<u64>,
    pub progress: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub family: &'static str,
    pub case: usize,
    pub seed: u64,
    pub shape: String,
    pub config: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct FuzzReport {
    pub passed: usize,
    pub failed: usize,
    /// Cases per family.
    pub per_family: BTreeMap<String, (usize, usize)>,
    /// Distinct configurations exercised per family.
    pub configs_covered: BTreeMap<String, usize>,
    pub failures: Vec<Failure>,
}

struct Planned<F: KernelFamily> {
    case: usize,
    config: F::Config,
    shape: F::Shape,
    input_seed: u64,
}

fn case_rng(seed: u64, family: &str, case: usize) -> ChaCha8Rng {
    let tag = family.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    ChaCha8Rng::seed_from_u64(seed ^ tag.rotate_left(17) ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Draws for one case before giving up (a `--max-size` smaller than any shape the family draws).
const MAX_DRAWS: usize = 10_000;

fn plan<F: FuzzFamily>(opts: &FuzzOptions, count: usize) -> Result<Vec<Planned<F>>> {
    let space = F::space();
    let limits = sdec_kernels::DeviceLimits::default();
    let cases: Vec<usize> = match opts.only_case {
        Some(i) => vec![i],
        None => (0..count).collect(),
    };
    cases
        .into_iter()
        .map(|case| {
            let mut rng = case_rng(opts.seed, F::NAME, case);
            let wanted = space[case % space.len()];
            // Draw shapes until the wanted configuration serves one; else take any valid one.
            let fits = |shape: &F::Shape| opts.max_size.is_none_or(|max| F::size(shape) <= max);
            for _ in 0..200 {
                let shape = F::draw_shape(&mut rng);
                if shape.validate().is_ok() && fits(&shape) && F::check(&wanted, &shape, &limits).is_ok() {
                    return Ok(Planned { case, config: wanted, shape, input_seed: rng.gen() });
                }
            }
            for _ in 0..MAX_DRAWS {
                let shape = F::draw_shape(&mut rng);
                let valid = F::valid_space(&shape, &limits);
                if shape.validate().is_ok() && fits(&shape) && !valid.is_empty() {
                    let config = valid[rng.gen_range(0..valid.len())];
                    return Ok(Planned { case, config, shape, input_seed: rng.gen() });
                }
            }
            Err(SdecError::Invalid(format!(
                "{}: no shape of at most {} elements in {MAX_DRAWS} draws; raise --max-size",
                F::NAME,
                opts.max_size.unwrap_or(u64::MAX)
            )))
        })
        .collect()
}

/// Compiles every distinct module of the plan on all CPU cores, then loads them.
fn precompile<F: FuzzFamily>(gpu: &Gpu, planned: &[Planned<F>]) -> Vec<(usize, String)> {
    let arch = gpu.arch();
    let mut units = BTreeMap::new();
    for p in planned {
        let key = F::key(&p.config, &p.shape, &arch);
        if !gpu.has_module(&key) {
            units.entry(key).or_insert_with(|| (Job::of::<F>(&p.config, &p.shape, &arch), p.case));
        }
    }
    let (keys, jobs): (Vec<_>, Vec<(Job, usize)>) = units.into_iter().unzip();
    let (jobs, cases): (Vec<Job>, Vec<usize>) = jobs.into_iter().unzip();
    let compiled = compile_many(&jobs, &|_| {});
    let mut errors = Vec::new();
    for ((key, case), result) in keys.into_iter().zip(cases).zip(compiled) {
        match result.and_then(|cubin| gpu.insert_ptx(key, cudarc::nvrtc::Ptx::from_binary(cubin))) {
            Ok(_) => {}
            Err(e) => errors.push((case, e.to_string())),
        }
    }
    errors
}

fn fuzz_family<F: FuzzFamily>(gpu: &Gpu, opts: &FuzzOptions, count: usize, report: &mut FuzzReport, bar: &ProgressBar) -> Result<()> {
    let planned = plan::<F>(opts, count)?;
    let compile_errors: BTreeMap<usize, String> = precompile(gpu, &planned).into_iter().collect();
    let configs: std::collections::HashSet<_> = planned.iter().map(|p| p.config).collect();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Option<String>)>();
    let slots = std::sync::Arc::new((std::sync::Mutex::new(0usize), std::sync::Condvar::new()));
    rayon::scope(|scope| {
        for (at, p) in planned.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(p.input_seed);
            let gpu_result = match compile_errors.get(&p.case) {
                Some(e) => Err(format!("compile: {e}")),
                None => F::run_case(gpu, &p.config, &p.shape, &mut rng).map_err(|e| format!("error: {e}")),
            };
            match gpu_result {
                Err(why) => {
                    let _ = tx.send((at, Some(why)));
                }
                Ok(check) => {
                    {
                        let (count, freed) = &*slots;
                        let mut busy = count.lock().unwrap_or_else(|e| e.into_inner());
                        while *busy >= CHECKS_IN_FLIGHT {
                            busy = freed.wait(busy).unwrap_or_else(|e| e.into_inner());
                        }
                        *busy += 1;
                    }
                    let (tx, slots) = (tx.clone(), slots.clone());
                    scope.spawn(move |_| {
                        let verdict = check();
                        let (count, freed) = &*slots;
                        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
                        freed.notify_one();
                        let _ = tx.send((at, verdict));
                    });
                }
            }
            bar.inc(1);
        }
    });
    drop(tx);
    let mut verdicts: Vec<(usize, Option<String>)> = rx.into_iter().collect();
    verdicts.sort_by_key(|(at, _)| *at);
    let (mut passed, mut failed) = (0, 0);
    for (at, verdict) in verdicts {
        let p = &planned[at];
        match verdict {
            None => passed += 1,
            Some(reason) => {
                failed += 1;
                let failure = Failure {
                    family: F::NAME,
                    case: p.case,
                    seed: opts.seed,
                    shape: serde_json::to_string(&p.shape).unwrap_or_default(),
                    config: serde_json::to_string(&p.config).unwrap_or_default(),
                    reason,
                };
                bar.suspend(|| {
                    eprintln!(
                        "FAIL {} case {} shape {} config {}: {}\n  repro: sdec fuzz --family {} --seed {} --case {}",
                        failure.family, failure.case, failure.shape, failure.config, failure.reason, failure.family, failure.seed, failure.case
                    )
                });
                report.failures.push(failure);
            }
        }
    }
    report.passed += passed;
    report.failed += failed;
    report.per_family.insert(F::NAME.into(), (passed, failed));
    report.configs_covered.insert(F::NAME.into(), configs.len());
    Ok(())
}

/// Runs the fuzzer; `cases` are shared among the chosen families in proportion to their spaces
/// (each family gets at least its space size when `cases` allows).
pub fn run(gpu: &Gpu, opts: &FuzzOptions) -> Result<FuzzReport> {
    use sdec_kernels::{attention, block_score, glue, lfps, linear, lychee, quest, spec, topk};
    type Runner = fn(&Gpu, &FuzzOptions, usize, &mut FuzzReport, &ProgressBar) -> Result<()>;
    let all: Vec<(&str, usize, Runner)> = vec![
        (topk::Topk::NAME, topk::Topk::space().len(), fuzz_family::<topk::Topk>),
        (block_score::BlockScore::NAME, block_score::BlockScore::space().len(), fuzz_family::<block_score::BlockScore>),
        (attention::DecodeAttention::NAME, attention::DecodeAttention::space().len(), fuzz_family::<attention::DecodeAttention>),
        (attention::GatherAttention::NAME, attention::GatherAttention::space().len(), fuzz_family::<attention::GatherAttention>),
        (attention::ChunkAttention::NAME, attention::ChunkAttention::space().len(), fuzz_family::<attention::ChunkAttention>),
        (glue::RmsNorm::NAME, glue::RmsNorm::space().len(), fuzz_family::<glue::RmsNorm>),
        (glue::Rope::NAME, glue::Rope::space().len(), fuzz_family::<glue::Rope>),
        (glue::Swiglu::NAME, glue::Swiglu::space().len(), fuzz_family::<glue::Swiglu>),
        (glue::KvAppend::NAME, glue::KvAppend::space().len(), fuzz_family::<glue::KvAppend>),
        (glue::Argmax::NAME, glue::Argmax::space().len(), fuzz_family::<glue::Argmax>),
        (glue::Embed::NAME, glue::Embed::space().len(), fuzz_family::<glue::Embed>),
        (glue::RopeAppend::NAME, glue::RopeAppend::space().len(), fuzz_family::<glue::RopeAppend>),
        (glue::Advance::NAME, glue::Advance::space().len(), fuzz_family::<glue::Advance>),
        (glue::Spin::NAME, glue::Spin::space().len(), fuzz_family::<glue::Spin>),
        (glue::SynthWeights::NAME, glue::SynthWeights::space().len(), fuzz_family::<glue::SynthWeights>),
        (lychee::LycheeIndex::NAME, lychee::LycheeIndex::space().len(), fuzz_family::<lychee::LycheeIndex>),
        (spec::Spec::NAME, spec::Spec::space().len(), fuzz_family::<spec::Spec>),
        (quest::Quest::NAME, quest::Quest::space().len(), fuzz_family::<quest::Quest>),
        (lfps::Lfps::NAME, lfps::Lfps::space().len(), fuzz_family::<lfps::Lfps>),
        (linear::Linear::NAME, linear::Linear::space().len(), fuzz_family::<linear::Linear>),
    ];
    let chosen: Vec<_> = all.into_iter().filter(|(name, _, _)| opts.families.is_empty() || opts.families.iter().any(|f| f == name)).collect();
    // Attention and top-k carry the risk; give them weight beyond their space size.
    let weight = |name: &str, space: usize| if name.contains("attention") || name == "topk" || name == "block_score" || name == "linear" { space * 4 } else { space };
    let total_weight: usize = chosen.iter().map(|(n, s, _)| weight(n, *s)).sum();
    let counts: Vec<usize> = chosen
        .iter()
        .map(|(n, s, _)| if opts.only_case.is_some() { 1 } else { (opts.cases * weight(n, *s)).div_ceil(total_weight.max(1)).max(1) })
        .collect();
    let bar = if opts.progress { ProgressBar::new(counts.iter().sum::<usize>() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{spinner} fuzz {msg} [{bar:40}] {pos}/{len} ({eta})").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let mut report = FuzzReport::default();
    for ((name, _, runner), count) in chosen.iter().zip(counts) {
        bar.set_message(name.to_string());
        runner(gpu, opts, count, &mut report, &bar)?;
    }
    bar.finish_and_clear();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sdec_kernels::attention::DecodeAttention;
    use sdec_kernels::topk::Topk;

    fn opts(max_size: Option<u64>) -> FuzzOptions {
        FuzzOptions { families: vec![], cases: 0, seed: 3, only_case: None, max_size, progress: false }
    }

    #[test]
    fn plan_covers_the_space_and_respects_max_size() {
        let space = Topk::space().len();
        let planned = plan::<Topk>(&opts(Some(100_000)), space).expect("small top-k shapes exist");
        assert_eq!(planned.len(), space);
        assert!(planned.iter().all(|p| Topk::size(&p.shape) <= 100_000));
        let again = plan::<Topk>(&opts(Some(100_000)), space).unwrap();
        assert!(planned.iter().zip(&again).all(|(a, b)| a.config == b.config && a.shape == b.shape), "plans are reproducible");
    }

    #[test]
    fn an_impossible_max_size_is_an_error_not_a_hang() {
        let err = plan::<DecodeAttention>(&opts(Some(1)), 1).err().expect("no attention shape has one element");
        assert!(err.to_string().contains("raise --max-size"), "{err}");
    }
}
