//! `sdec bench decode`: per-token latency of the GPU decode loop at long contexts, beside the
//! byte floor of a step (the weights and the KV entries it reads, over the measured copy
//! bandwidth).
//!
//! The cache is filled with seeded random keys and values instead of a prefill: a step's time
//! depends on how much it reads, not on what. Each configuration runs `warmup` steps, then
//! `steps` steps back to back with a CUDA event between consecutive steps (no host sync inside),
//! and reports the median, min and max step time.

use std::sync::Arc;

use serde::Serialize;
use sdec_model::{ModelConfig, PolicySpec};

use super::engine::{Decoder, Gemm, StepKind};
use super::omit::{Omitted, Stage};
use super::weights::GpuWeights;
use crate::bench::copy_bandwidth;
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;
use crate::tuned::Tuned;

#[derive(Debug, Clone, Serialize)]
pub struct DecodeRow {
    pub model: String,
    pub policy: String,
    pub batch: usize,
    pub context: usize,
    pub graph: bool,
    pub gemm: Gemm,
    pub ms_per_step: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Tokens per second over the batch.
    pub tokens_per_s: f64,
    pub bytes_per_step: f64,
    pub floor_ms: f64,
    pub peak_memory_gib: f64,
    /// Stages the timed steps left out (their time only; the values were wrong).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Stage>,
    /// SpecAttn: the round (γ drafts + verification + selection); `ms_per_step` is a draft step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_round: Option<SpecRoundTiming>,
    /// `full`'s step time over this one, at the same batch, context, launch and linear layers,
    /// when the run timed `full` there too (none for `full` itself and for SpecAttn, whose
    /// speed-up needs its acceptance, measured apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup_vs_full: Option<f64>,
}

/// Fills every row's [`DecodeRow::speedup_vs_full`] from the `full` rows of the same run.
pub fn fill_speedups(rows: &mut [DecodeRow]) {
    let full: Vec<(usize, usize, bool, Gemm, f64)> = rows
        .iter()
        .filter(|r| matches!(PolicySpec::parse(&r.policy), Ok(PolicySpec::Full)))
        .map(|r| (r.batch, r.context, r.graph, r.gemm, r.ms_per_step))
        .collect();
    for r in rows.iter_mut() {
        let comparable = !matches!(PolicySpec::parse(&r.policy), Ok(PolicySpec::Full | PolicySpec::SpecAttn(_)));
        r.speedup_vs_full = full
            .iter()
            .find(|f| comparable && (f.0, f.1, f.2, f.3) == (r.batch, r.context, r.graph, r.gemm))
            .map(|f| f.4 / r.ms_per_step);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DecodeBenchReport {
    pub device: String,
    pub copy_bandwidth_gbs: f64,
    pub rows: Vec<DecodeRow>,
}

pub struct DecodeBenchOptions {
    pub model: String,
    pub contexts: Vec<usize>,
    pub batches: Vec<usize>,
    pub policies: Vec<String>,
    pub steps: usize,
    pub warmup: usize,
    pub graph: Vec<bool>,
    pub gemms: Vec<Gemm>,
    pub seed: u64,
    /// Stages every step leaves out (timing only).
    pub omit: Vec<Stage>,
    /// SpecAttn: tokens every timed round keeps (None: as the random weights' tokens decide).
    pub spec_accepted: Option<usize>,
}

/// Tokens a SpecAttn round keeps when it is timed on random weights: the acceptance measured on
/// SmolLM2 with real text (6.09 a round of γ + 1 = 7, docs/results/decode.md). On random weights
/// the drafts rarely match, and a round that keeps one token scores its selection from one
/// verify row instead of two (half the logits read).
pub const SPEC_TIMING_ACCEPTED: usize = 6;

/// Weight bytes one step reads: every matrix once, but only the batch's rows of an untied
/// embedding.
pub fn step_weight_bytes(cfg: &ModelConfig, batch: usize) -> f64 {
    let embedding = (cfg.vocab * cfg.hidden) as f64;
    let read = if cfg.tied_embeddings { cfg.n_params() as f64 } else { cfg.n_params() as f64 - embedding + (batch * cfg.hidden) as f64 };
    2.0 * read
}

fn model_config(name: &str) -> Result<ModelConfig> {
    ModelConfig::preset(name).map_err(|e| SdecError::Invalid(format!("{e} (`sdec bench decode` takes the synthetic presets)")))
}

pub fn bench_decode(gpu: &Gpu, tuned: &Tuned, opts: &DecodeBenchOptions, mut progress: impl FnMut(&DecodeRow)) -> Result<DecodeBenchReport> {
    let cfg = model_config(&opts.model)?;
    let specs = opts.policies.iter().map(|p| PolicySpec::parse(p).map_err(|e| SdecError::Invalid(e.to_string()))).collect::<Result<Vec<_>>>()?;
    // A SpecAttn round advances up to γ + 1 tokens.
    let round = specs.iter().map(|s| match s { PolicySpec::SpecAttn(p) => p.gamma + 1, _ => 1 }).max().unwrap_or(1);
    let chunk = round;
    let extra = (opts.warmup + opts.steps) * round + 1;
    if let Some(&c) = opts.contexts.iter().find(|&&c| c > cfg.max_context || extra >= cfg.max_context) {
        return Err(SdecError::Invalid(format!("context {c} is beyond {}'s limit of {} tokens", opts.model, cfg.max_context)));
    }
    let bandwidth = copy_bandwidth(gpu)?;
    let weights = Arc::new(GpuWeights::synthetic(gpu, &cfg, opts.seed)?);
    let mut rows = Vec::new();
    for (spec, name) in specs.iter().zip(&opts.policies) {
        for &batch in &opts.batches {
            for &asked in &opts.contexts {
                // At the model's limit (128K), the timed steps end there rather than past it.
                let context = asked.min(cfg.max_context - extra);
                let capacity = context + extra;
                for &gemm in &opts.gemms {
                    let mut dec = Decoder::new(gpu, tuned, &cfg, weights.clone(), spec, batch, capacity, gemm, chunk)?;
                    dec.fill_cache_random(gpu, opts.seed)?;
                    dec.omit(Omitted::of(&opts.omit));
                    for &graph in &opts.graph {
                        dec.set_len(gpu, context)?;
                        dec.set_tokens(gpu, &vec![1; batch])?;
                        let mut spec_round = None;
                        let samples = match spec {
                            PolicySpec::SpecAttn(p) => {
                                let (drafts, timing) = time_rounds(gpu, tuned, &mut dec, p.gamma, opts.warmup, opts.steps, opts.spec_accepted)?;
                                spec_round = Some(timing);
                                drafts
                            }
                            _ => time_steps(gpu, &mut dec, opts.warmup, opts.steps, graph)?,
                        };
                        let ms = samples[samples.len() / 2];
                        let kv_bytes = (batch as u64 * dec.kv_entries(context + opts.warmup + opts.steps / 2)) as f64 * 2.0 * (cfg.head_dim * 2) as f64;
                        let bytes = step_weight_bytes(&cfg, batch) + kv_bytes;
                        let used = gpu.info.total_memory.saturating_sub(gpu.free_memory()?);
                        let row = DecodeRow {
                            model: opts.model.clone(),
                            policy: name.clone(),
                            batch,
                            context,
                            graph,
                            gemm,
                            ms_per_step: ms,
                            min_ms: samples[0],
                            max_ms: samples[samples.len() - 1],
                            tokens_per_s: batch as f64 / (ms * 1e-3),
                            bytes_per_step: bytes,
                            floor_ms: bytes / bandwidth * 1e3,
                            peak_memory_gib: used as f64 / (1u64 << 30) as f64,
                            omitted: opts.omit.clone(),
                            spec_round,
                            speedup_vs_full: None,
                        };
                        progress(&row);
                        rows.push(row);
                    }
                }
            }
        }
    }
    fill_speedups(&mut rows);
    Ok(DecodeBenchReport { device: gpu.info.name.clone(), copy_bandwidth_gbs: bandwidth / 1e9, rows })
}

/// SpecAttn's round on random weights (acceptance there means nothing; it is measured on a real
/// model apart): medians over the timed rounds, ms.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpecRoundTiming {
    pub gamma: usize,
    pub round_ms: f64,
    pub drafts_ms: f64,
    pub verify_ms: f64,
    pub select_ms: f64,
    /// Host time before the first draft step was launched (the GPU waits for it).
    pub first_launch_ms: f64,
    pub rounds: usize,
    /// Tokens the median timed round kept.
    pub accepted: usize,
    /// Whether every round was made to keep `accepted` (see [`DecodeBenchOptions::spec_accepted`]).
    pub accepted_forced: bool,
}

/// Draft step times (ms, sorted; each round's drafts divided by γ) and the round breakdown. The
/// first selection comes from a captured one-token pass at the random context, as after a
/// prefill.
fn time_rounds(gpu: &Gpu, tuned: &Tuned, dec: &mut Decoder, gamma: usize, warmup: usize, rounds: usize, accepted: Option<usize>) -> Result<(Vec<f64>, SpecRoundTiming)> {
    if accepted.is_some_and(|a| a == 0 || a > gamma + 1) {
        return Err(SdecError::Invalid(format!("a round keeps 1 to γ + 1 = {} tokens, not {}", gamma + 1, accepted.unwrap_or(0))));
    }
    dec.force_spec_acceptance(accepted)?;
    dec.set_len(gpu, dec.len - 1)?;
    dec.set_chunk_tokens(gpu, &vec![1; dec.batch])?;
    dec.forward_chunk(gpu, tuned, 1, true)?;
    dec.spec_select_last(gpu)?;
    for _ in 0..warmup {
        dec.spec_round(gpu, tuned, gamma, false, None)?;
    }
    let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
    let event = || gpu.ctx.new_event(flags).during("creating events");
    let (start, marks) = (event()?, [event()?, event()?, event()?]);
    let (mut drafts, mut verify, mut select, mut total, mut kept, mut first) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        start.record(&gpu.stream).during("recording an event")?;
        let round = dec.spec_round(gpu, tuned, gamma, false, Some(&marks))?;
        kept.push(round.accepted);
        first.push(round.first_launch.as_secs_f64() * 1e3);
        marks[2].synchronize().during("waiting for a round")?;
        let ms = |a: &cudarc::driver::CudaEvent, b: &cudarc::driver::CudaEvent| a.elapsed_ms(b).map(|t| t as f64).during("reading an event");
        drafts.push(ms(&start, &marks[0])? / gamma.max(1) as f64);
        verify.push(ms(&marks[0], &marks[1])?);
        select.push(ms(&marks[1], &marks[2])?);
        total.push(ms(&start, &marks[2])?);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    drafts.sort_by(f64::total_cmp);
    kept.sort_unstable();
    let timing = SpecRoundTiming {
        gamma,
        round_ms: median(total),
        drafts_ms: median(drafts.clone()) * gamma as f64,
        verify_ms: median(verify),
        select_ms: median(select),
        first_launch_ms: median(first),
        rounds: rounds.max(1),
        accepted: kept[kept.len() / 2],
        accepted_forced: accepted.is_some(),
    };
    dec.force_spec_acceptance(None)?;
    Ok((drafts, timing))
}

/// Step times in ms, sorted: `warmup` untimed steps, then `steps` steps with an event between
/// consecutive ones, enqueued back to back.
fn time_steps(gpu: &Gpu, dec: &mut Decoder, warmup: usize, steps: usize, graph: bool) -> Result<Vec<f64>> {
    let run = |dec: &mut Decoder| if graph { dec.step_graph(gpu, StepKind::Policy) } else { dec.step(gpu, StepKind::Policy) };
    for _ in 0..warmup {
        run(dec)?;
    }
    let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
    let events = (0..=steps.max(1)).map(|_| gpu.ctx.new_event(flags).during("creating events")).collect::<Result<Vec<_>>>()?;
    events[0].record(&gpu.stream).during("recording an event")?;
    for e in &events[1..] {
        run(dec)?;
        e.record(&gpu.stream).during("recording an event")?;
    }
    events[events.len() - 1].synchronize().during("waiting for the timed steps")?;
    let mut ms = events.windows(2).map(|w| w[0].elapsed_ms(&w[1]).map(|t| t as f64).during("reading an event")).collect::<Result<Vec<_>>>()?;
    ms.sort_by(f64::total_cmp);
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(policy: &str, batch: usize, ms: f64) -> DecodeRow {
        DecodeRow {
            model: "synthetic:tiny".into(), policy: policy.into(), batch, context: 4096, graph: true, gemm: Gemm::Generated,
            ms_per_step: ms, min_ms: ms, max_ms: ms, tokens_per_s: 0.0, bytes_per_step: 0.0, floor_ms: 1.0, peak_memory_gib: 0.0,
            omitted: Vec::new(), spec_round: None, speedup_vs_full: None,
        }
    }

    #[test]
    fn speedups_compare_with_full_at_the_same_batch_only() {
        let mut rows = vec![row("full", 1, 12.0), row("full", 2, 18.0), row("lychee", 1, 6.0), row("lychee", 2, 8.0), row("specattn", 1, 6.0), row("streaming", 4, 3.0)];
        fill_speedups(&mut rows);
        let got: Vec<Option<f64>> = rows.iter().map(|r| r.speedup_vs_full).collect();
        assert_eq!(got, vec![None, None, Some(2.0), Some(2.25), None, None], "full itself, SpecAttn (acceptance apart) and a batch without full get none");
    }
}
