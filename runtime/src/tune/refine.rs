//! `sdec tune --refine POLICY`: chooses among each entry's fastest configurations by the time of
//! a whole decode step instead of the kernel's alone.
//!
//! The tuner times a kernel by itself; inside the step's CUDA graph its neighbours overlap its
//! start and end (the attention kernels' programmatic dependent launches) and share the GPU with it, and the order of
//! two near configurations can turn (docs/results/decode.md section 14: `linear` at batch 2,
//! 0.24 ms a step). For every entry the step looks up, the few fastest measured configurations
//! (within [`WINDOW`] of the winner) are launched in the step in turn, interleaved over
//! [`ROUNDS`] rounds, and the fastest step's configuration is kept when it beats the winner's by
//! more than [`MARGIN`]; entries are taken one at a time, each with the choices before it in
//! place. Candidates that were faster than the winner but not by the margin are then timed
//! together against the choices so far ([`JointTrial`]) and kept, all of them, when together
//! they beat the margin: several sub-margin gains add up to one the step can tell from noise
//! (SpecAttn's round, session 33: four entries each ~0.06 ms faster, ~0.13%). The cache records
//! the policy's choice for every entry its step uses (`refined_by`, under the policy's name),
//! which its steps launch from then on whatever other policies refine later; a changed choice is
//! also the entry's latest refinement (`refined`), which policies never refined launch.

use serde::Serialize;
use serde_json::Value;

use sdec_autotune::cache::ensure_writable;
use sdec_autotune::{Cache, Refined};

use super::{cache_err, cache_dir, TuneArgs};
use crate::decode::bench::{bench_decode, DecodeBenchOptions};
use crate::decode::Gemm;
use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::tuned::Tuned;

/// Candidates: measured configurations at most this much slower alone than the winner.
pub const WINDOW: f64 = 0.10;
/// Interleaved rounds of step timings per entry (the median of each configuration is kept).
pub const ROUNDS: usize = 3;
/// A candidate replaces the winner when its step is faster by more than this share: twice the
/// step's run-to-run spread in one call (~0.1%). (0.3% turned down, twice, a chunk_attention
/// choice that made SpecAttn's 48.7 ms round 0.11 ms faster: docs/results/decode.md section 27.)
pub const MARGIN: f64 = 0.002;

/// The last round: every entry's fastest candidate that beat its winner by less than the margin,
/// timed together against the choices so far.
#[derive(Debug, Clone, Serialize)]
pub struct JointTrial {
    /// (family, label) of the entries whose candidates went in together.
    pub entries: Vec<(String, String)>,
    pub before_ms: f64,
    pub together_ms: f64,
    pub kept: bool,
}

/// One entry's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct RefineRow {
    pub family: String,
    pub label: String,
    pub bucket: String,
    /// The cached choice before (the isolated winner, or an earlier refinement).
    pub winner: Value,
    pub winner_step_ms: f64,
    /// (configuration, its time alone µs, the step's median ms).
    pub candidates: Vec<(Value, f64, f64)>,
    /// The configuration kept, when not the winner.
    pub refined: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefineReport {
    pub model: String,
    pub policy: String,
    pub batch: usize,
    pub context: usize,
    /// The step before and after.
    pub step_ms_before: f64,
    pub step_ms_after: f64,
    pub rows: Vec<RefineRow>,
    /// None when no entry had a sub-margin candidate.
    pub joint: Option<JointTrial>,
}

/// The time a policy's step (SpecAttn: its round) takes with the configurations `tuned` gives.
fn step_ms(gpu: &Gpu, tuned: &Tuned, opts: &DecodeBenchOptions) -> Result<f64> {
    let report = bench_decode(gpu, tuned, opts, |_| {})?;
    let row = report.rows.first().ok_or_else(|| SdecError::Invalid("the decode benchmark returned no row".into()))?;
    Ok(row.spec_round.as_ref().map_or(row.ms_per_step, |r| r.round_ms))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Whether a step of `new` ms beats one of `old` ms by more than [`MARGIN`].
fn beats_margin(new: f64, old: f64) -> bool {
    new < old * (1.0 - MARGIN)
}

/// An entry's outcome from its step times (`steps[0]` the cached choice's, the others its
/// candidates'): the candidate that replaces the choice, or else the fastest one that beat it by
/// less than the margin (for the joint round).
#[derive(Debug, PartialEq)]
enum Pick {
    Replace(usize),
    Leaning(usize),
    Keep,
}

fn pick(steps: &[f64]) -> Pick {
    match (1..steps.len()).min_by(|&a, &b| steps[a].total_cmp(&steps[b])) {
        Some(b) if beats_margin(steps[b], steps[0]) => Pick::Replace(b),
        Some(b) if steps[b] < steps[0] => Pick::Leaning(b),
        _ => Pick::Keep,
    }
}

pub fn refine(args: &TuneArgs, policy: &str) -> Result<RefineReport> {
    let dir = cache_dir(args.cache.as_deref());
    ensure_writable(&dir).map_err(cache_err)?;
    let gpu = Gpu::open(0)?;
    let tuned = Tuned::open(&gpu, &dir)?;
    let context = *crate::cli_decode::parse_sizes(&args.refine_context, "--refine-context")?
        .first()
        .ok_or_else(|| SdecError::Invalid("--refine-context names no context".into()))?;
    let (model, batch) = (args.refine_model.clone(), args.refine_batch);
    let name = sdec_model::policies::PolicySpec::parse(policy).map_err(|e| SdecError::Invalid(e.to_string()))?.name();
    let opts = DecodeBenchOptions {
        model: model.clone(),
        contexts: vec![context],
        batches: vec![batch],
        policies: vec![policy.to_string()],
        steps: args.refine_steps,
        warmup: 5,
        graph: vec![true],
        gemms: vec![Gemm::Generated],
        seed: args.seed,
        omit: Vec::new(),
        spec_accepted: Some(crate::decode::bench::SPEC_TIMING_ACCEPTED),
    };
    let before = step_ms(&gpu, &tuned, &opts)?;
    eprintln!("refine: {policy} b{batch} ctx {context} on {}: {before:.3} ms a step with the cached choices", gpu.info.name);
    let mut rows = Vec::new();
    // (row, its fastest candidate) where that candidate beat the winner by less than the margin.
    let mut leaning: Vec<(usize, Value)> = Vec::new();
    for (family, bucket) in tuned.used() {
        let Some(entry) = tuned.entry(&family, &bucket) else { continue };
        let winner = entry.chosen_for(Some(name)).clone();
        let alone: Vec<(Value, f64)> = entry
            .timed_fastest_first()
            .into_iter()
            .filter(|(c, t)| **c != winner && *t <= entry.winner_us * (1.0 + WINDOW))
            .take(args.refine_candidates)
            .map(|(c, t)| (c.clone(), t))
            .collect();
        if alone.is_empty() {
            continue;
        }
        let label = entry.label.clone();
        eprintln!("refine: {family} {label}: the winner and {} candidates", alone.len());
        let configs: Vec<Value> = std::iter::once(winner.clone()).chain(alone.iter().map(|(c, _)| c.clone())).collect();
        let mut samples = vec![Vec::new(); configs.len()];
        for _ in 0..ROUNDS {
            for (i, config) in configs.iter().enumerate() {
                tuned.set_override(&family, &bucket, Some(config.clone()));
                samples[i].push(step_ms(&gpu, &tuned, &opts)?);
            }
        }
        let steps: Vec<f64> = samples.into_iter().map(median).collect();
        let best = match pick(&steps) {
            Pick::Replace(b) => Some(b),
            Pick::Leaning(b) => {
                leaning.push((rows.len(), configs[b].clone()));
                None
            }
            Pick::Keep => None,
        };
        tuned.set_override(&family, &bucket, best.map(|b| configs[b].clone()));
        rows.push(RefineRow {
            family,
            label,
            bucket,
            winner,
            winner_step_ms: steps[0],
            candidates: alone.iter().zip(&steps[1..]).map(|((c, t), s)| (c.clone(), *t, *s)).collect(),
            refined: best.map(|b| configs[b].clone()),
        });
    }
    let joint = if leaning.is_empty() { None } else { Some(joint_trial(&gpu, &tuned, &opts, &mut rows, &leaning)?) };
    let after = step_ms(&gpu, &tuned, &opts)?;
    let report = RefineReport { model, policy: policy.into(), batch, context, step_ms_before: before, step_ms_after: after, rows, joint };
    save(&dir, &tuned, &report, name)?;
    Ok(report)
}

/// Times the `leaning` candidates all in place against the choices so far, interleaved over
/// [`ROUNDS`] rounds, and keeps them (as those rows' refined choices) when together they make the
/// step faster by more than [`MARGIN`]; otherwise puts the choices back.
fn joint_trial(gpu: &Gpu, tuned: &Tuned, opts: &DecodeBenchOptions, rows: &mut [RefineRow], leaning: &[(usize, Value)]) -> Result<JointTrial> {
    let set = |together: bool| {
        for (i, config) in leaning {
            let r = &rows[*i];
            tuned.set_override(&r.family, &r.bucket, together.then(|| config.clone()));
        }
    };
    let (mut before, mut together) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        set(false);
        before.push(step_ms(gpu, tuned, opts)?);
        set(true);
        together.push(step_ms(gpu, tuned, opts)?);
    }
    let (before_ms, together_ms) = (median(before), median(together));
    let kept = beats_margin(together_ms, before_ms);
    set(kept);
    eprintln!("refine: {} sub-margin candidates together: {together_ms:.3} ms against {before_ms:.3}: {}", leaning.len(), if kept { "kept" } else { "not kept" });
    if kept {
        for (i, config) in leaning {
            rows[*i].refined = Some(config.clone());
        }
    }
    let entries = leaning.iter().map(|(i, _)| (rows[*i].family.clone(), rows[*i].label.clone())).collect();
    Ok(JointTrial { entries, before_ms, together_ms, kept })
}

/// Writes the policy's choice for every entry its step used into the cache (`refined_by`); a
/// changed choice is also the entry's latest refinement (`refined`).
fn save(dir: &std::path::Path, tuned: &Tuned, report: &RefineReport, name: &str) -> Result<()> {
    let mut cache = Cache::load(dir);
    let refined = |config: &Value, step_ms: f64, winner_step_ms: f64| Refined {
        config: config.clone(),
        step_ms,
        winner_step_ms,
        model: report.model.clone(),
        policy: report.policy.clone(),
        batch: report.batch,
        context: report.context,
    };
    for (family, bucket) in tuned.used() {
        let Some(used) = tuned.entry(&family, &bucket) else { continue };
        let Some(entry) = cache.file.entries.iter_mut().find(|e| e.key == used.key) else { continue };
        let row = report.rows.iter().find(|r| r.family == family && r.bucket == bucket);
        let choice = match row {
            // Changed: the step's time with it, beside the previous choice's.
            Some(RefineRow { refined: Some(config), candidates, winner_step_ms, .. }) => {
                let step_ms = candidates.iter().find(|(c, _, _)| c == config).map_or(report.step_ms_after, |(_, _, s)| *s);
                let choice = refined(config, step_ms, *winner_step_ms);
                entry.refined = Some(choice.clone());
                choice
            }
            Some(row) => refined(&row.winner, row.winner_step_ms, row.winner_step_ms),
            // No candidate near it: the choice the step ran with.
            None => refined(&used.chosen_for(Some(name)).clone(), report.step_ms_after, report.step_ms_after),
        };
        entry.refined_by.insert(name.to_string(), choice);
    }
    cache.save().map_err(cache_err)
}

pub fn print_table(report: &RefineReport) {
    println!(
        "{} {} b{} ctx {}: {:.3} ms a step with the tuner's winners, {:.3} ms refined",
        report.model, report.policy, report.batch, report.context, report.step_ms_before, report.step_ms_after
    );
    println!("| family | shape | cached choice (step ms) | candidates: config, alone µs, step ms | kept |");
    println!("| --- | --- | --- | --- | --- |");
    for r in &report.rows {
        let candidates: Vec<String> = r.candidates.iter().map(|(c, t, s)| format!("`{c}` {t:.1} µs, {s:.3}")).collect();
        let kept = r.refined.as_ref().map_or("as cached".to_string(), |c| format!("`{c}`"));
        println!("| {} | {} | `{}` ({:.3}) | {} | {} |", r.family, r.label, r.winner, r.winner_step_ms, candidates.join("; "), kept);
    }
    if let Some(j) = &report.joint {
        let names: Vec<String> = j.entries.iter().map(|(f, l)| format!("{f} {l}")).collect();
        println!(
            "sub-margin candidates together ({}): {:.3} ms against {:.3}: {}",
            names.join(", "),
            j.together_ms,
            j.before_ms,
            if j.kept { "kept" } else { "not kept" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_replaces_the_choice_only_past_the_margin() {
        // 0.2% of 10 ms is 0.02 ms.
        assert_eq!(pick(&[10.0, 9.99, 9.95]), Pick::Replace(2));
        assert_eq!(pick(&[10.0, 9.99, 9.995]), Pick::Leaning(1));
        assert_eq!(pick(&[10.0, 10.1, 10.0]), Pick::Keep);
        assert_eq!(pick(&[10.0]), Pick::Keep);
    }

    #[test]
    fn the_joint_round_keeps_only_a_margin_beaten() {
        assert!(beats_margin(9.97, 10.0));
        assert!(!beats_margin(9.985, 10.0));
        assert!(!beats_margin(10.0, 10.0));
    }
}
