//! Greedy generation on the GPU (`sdec generate --device cuda`): the prompt in chunks of up to
//! [`PREFILL_CHUNK`] tokens (dense, causal), then decode steps under the policy through the
//! step's CUDA graph (SpecAttn: rounds of drafts and verification), with the same report as the
//! CPU reference's generation.

use std::sync::Arc;
use std::time::Instant;

use sdec_model::generate::{argmax, top5};
use sdec_model::{GenerateReport, ModelConfig, PolicySpec};

/// Prompt tokens per prefill chunk (the generated linear kernels take up to 8 rows).
pub const PREFILL_CHUNK: usize = 8;

use super::engine::{Decoder, Gemm, StepKind};
use super::weights::GpuWeights;
use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::tuned::Tuned;

pub struct GpuGenerate<'a> {
    pub cfg: &'a ModelConfig,
    pub weights: GpuWeights,
    pub policy: &'a PolicySpec,
    pub prompt: &'a [u32],
    pub max_new_tokens: usize,
    pub stop_tokens: &'a [u32],
}

pub fn generate(gpu: &Gpu, tuned: &Tuned, g: GpuGenerate, mut progress: impl FnMut(usize)) -> Result<GenerateReport> {
    if g.prompt.is_empty() {
        return Err(SdecError::Invalid("the prompt is empty".into()));
    }
    // SpecAttn's last round may verify γ + 1 tokens past the last one kept.
    let (chunk, spec) = match g.policy {
        PolicySpec::SpecAttn(p) => (p.gamma + 1, Some(p.gamma)),
        _ => (PREFILL_CHUNK, None),
    };
    let capacity = g.prompt.len() + g.max_new_tokens + chunk + 1;
    let mut dec = Decoder::new(gpu, tuned, g.cfg, Arc::new(g.weights), g.policy, 1, capacity, Gemm::Generated, chunk.max(PREFILL_CHUNK))?;
    let started = Instant::now();
    match spec {
        Some(_) => dec.spec_prefill(gpu, tuned, g.prompt)?,
        None => dec.prefill(gpu, tuned, &[g.prompt], false)?,
    }
    let logits = dec.logits(gpu)?;
    let prefill_seconds = started.elapsed().as_secs_f64();
    let mut report = GenerateReport { policy: g.policy.to_string(), prompt_ids: g.prompt.to_vec(), prefill_seconds, ..Default::default() };
    let started = Instant::now();
    if let Some(gamma) = spec {
        let limits = Limits { cfg: g.cfg, max_new_tokens: g.max_new_tokens, stop_tokens: g.stop_tokens };
        speculative(gpu, tuned, &mut dec, &limits, gamma, logits, &mut report, &mut progress)?;
        report.decode_seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let mut logits = logits;
    for i in 0..g.max_new_tokens {
        let token = argmax(&logits);
        report.generated_ids.push(token);
        report.top5.push(top5(&logits));
        progress(i + 1);
        if g.stop_tokens.contains(&token) || i + 1 == g.max_new_tokens {
            break;
        }
        let ctx = dec.len + 1;
        dec.set_tokens(gpu, &[token])?;
        dec.step_graph(gpu, StepKind::Policy)?;
        logits = dec.logits(gpu)?;
        report.kv_read_per_step.push(dec.kv_entries(ctx));
        report.kv_dense_per_step.push((g.cfg.n_layer * g.cfg.n_kv_head * ctx) as u64);
    }
    report.decode_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What bounds a generation (the weights have moved into the decoder).
struct Limits<'a> {
    cfg: &'a ModelConfig,
    max_new_tokens: usize,
    stop_tokens: &'a [u32],
}

/// SpecAttn rounds until `max_new_tokens` or a stop token, as the reference's `speculative`.
#[allow(clippy::too_many_arguments)]
fn speculative(
    gpu: &Gpu, tuned: &Tuned, dec: &mut Decoder, g: &Limits, gamma: usize, first_logits: Vec<f32>, report: &mut GenerateReport,
    progress: &mut impl FnMut(usize),
) -> Result<()> {
    let first = argmax(&first_logits);
    report.generated_ids.push(first);
    report.top5.push(top5(&first_logits));
    progress(1);
    let mut last = first;
    while report.generated_ids.len() < g.max_new_tokens && !g.stop_tokens.contains(&last) {
        let gamma = gamma.min(g.max_new_tokens - report.generated_ids.len() - 1);
        let dense_before = dec.len;
        let round = dec.spec_round(gpu, tuned, gamma, true, None)?;
        let n_layer_heads = (g.cfg.n_layer * g.cfg.n_kv_head) as u64;
        for (i, &read) in round.kv_read.iter().enumerate() {
            report.kv_read_per_step.push(read);
            let dense = if i < gamma { n_layer_heads * (dense_before + i + 1) as u64 } else { read };
            report.kv_dense_per_step.push(dense);
        }
        let mut accepted = 0;
        for (tok, logits) in round.tokens.iter().zip(&round.logits) {
            report.generated_ids.push(*tok);
            report.top5.push(top5(logits));
            accepted += 1;
            last = *tok;
            if g.stop_tokens.contains(tok) {
                break;
            }
        }
        report.acceptance.push(accepted);
        progress(report.generated_ids.len());
    }
    Ok(())
}
