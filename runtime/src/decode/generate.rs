//! Greedy generation on the GPU (`sdec generate --device cuda`): the prompt one token at a time
//! (dense), then decode steps under the policy through the step's CUDA graph, with the same
//! report as the CPU reference's generation.

use std::sync::Arc;
use std::time::Instant;

use sdec_model::generate::{argmax, top5};
use sdec_model::{GenerateReport, ModelConfig, PolicySpec};

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
    let capacity = g.prompt.len() + g.max_new_tokens + 1;
    let mut dec = Decoder::new(gpu, tuned, g.cfg, Arc::new(g.weights), g.policy, 1, capacity, Gemm::Generated)?;
    let started = Instant::now();
    for &t in g.prompt {
        dec.set_tokens(gpu, &[t])?;
        dec.step(gpu, StepKind::Dense)?;
    }
    let mut logits = dec.logits(gpu)?;
    let prefill_seconds = started.elapsed().as_secs_f64();
    let mut report = GenerateReport { policy: g.policy.to_string(), prompt_ids: g.prompt.to_vec(), prefill_seconds, ..Default::default() };
    let started = Instant::now();
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
