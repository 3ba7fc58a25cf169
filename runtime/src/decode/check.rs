//! The GPU decode loop against the CPU reference (sdec-model), step by step.
//!
//! Both run the same model: the reference rounds to bf16 every tensor the GPU stores in bf16 —
//! the weights, the KV cache, q/k/v and the attention output between kernels
//! (`Model::with_bf16_activations`) — and keeps in f32 what the GPU keeps in f32 (the residual
//! stream, the normed inputs, the SwiGLU activations). What is compared is then the arithmetic:
//! the order of fp32 sums, `exp2f`, the online softmax. The prompt is prefilled (dense) on both;
//! then every decode step feeds both the reference's greedy token (teacher forcing, so one early
//! disagreement does not make every later step incomparable) and compares the logits.
//!
//! Tolerance: relative L2 of the logits ≤ 2e-2. The two sides round at the same points, but from
//! fp32 values that differ in their last bits (other summation orders), so now and then an
//! element rounds to the neighbouring bf16 value (a relative change of up to 2^-7); such flips,
//! carried through the layers, are what remains. Before the activations were rounded on both
//! sides, the bf16 rounding of q/k/v and the attention output was the difference itself (a
//! relative 2^-9 per element, every element, every layer): up to 2.65e-2 on SmolLM2. Sparse
//! policies add a second effect: a block whose score is within that noise of the k-th best may
//! be picked on one side only.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sdec_model::passkey::build_passkey;
use sdec_model::{load_model, Model, PolicySpec};

use super::engine::{Decoder, Gemm, StepKind};
use super::weights::GpuWeights;
use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::tuned::Tuned;

/// The relative L2 bound on the logits of every step.
pub const LOGIT_REL_L2: f64 = 2e-2;

#[derive(Debug, Clone, Serialize)]
pub struct StepCheck {
    pub step: usize,
    pub rel_l2: f64,
    pub gpu_token: u32,
    pub reference_token: u32,
    /// Reference logit of its best token minus its second best (small margins explain a flip).
    pub reference_margin: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub model: String,
    pub policy: String,
    pub prompt_tokens: usize,
    pub prefill_rel_l2: f64,
    pub steps: Vec<StepCheck>,
    pub max_rel_l2: f64,
    /// The first decode step whose greedy tokens differ, if any.
    pub first_token_mismatch: Option<usize>,
    pub graph: bool,
    pub gemm: Gemm,
    pub passed: bool,
}

pub struct CheckOptions {
    pub model: String,
    pub policy: String,
    pub prompt_tokens: usize,
    pub steps: usize,
    pub seed: u64,
    /// Run decode steps through a CUDA graph.
    pub graph: bool,
    pub gemm: Gemm,
    /// Prompt tokens per GPU prefill pass.
    pub prefill_chunk: usize,
}

pub fn rel_l2(got: &[f32], want: &[f32]) -> f64 {
    let (mut num, mut den) = (0f64, 0f64);
    for (&g, &w) in got.iter().zip(want) {
        num += (g as f64 - w as f64).powi(2);
        den += (w as f64).powi(2);
    }
    if got.len() != want.len() || got.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

fn best_two(logits: &[f32]) -> (u32, f32) {
    let best = sdec_model::generate::argmax(logits);
    let second = logits.iter().enumerate().filter(|(i, _)| *i != best as usize).map(|(_, &v)| v).fold(f32::NEG_INFINITY, f32::max);
    (best, logits[best as usize] - second)
}

/// Runs the check; `Err` only for bad input or a GPU failure (a mismatch is in the report).
pub fn check_decode(gpu: &Gpu, tuned: &Tuned, opts: &CheckOptions) -> Result<CheckReport> {
    let spec = PolicySpec::parse(&opts.policy).map_err(|e| SdecError::Invalid(e.to_string()))?;
    if matches!(spec, PolicySpec::SpecAttn(_)) {
        return Err(SdecError::Invalid(
            "`sdec check` compares single decode steps; specattn's output is checked against full's tokens instead (`sdec generate --device cuda` under both, or benches/spec_accept.sh)".into(),
        ));
    }
    let model_err = |e: sdec_model::ModelError| SdecError::Invalid(e.to_string());
    let (loaded, tokenizer) = load_model(&crate::cli_model::resolve_model(&opts.model)?, opts.seed).map_err(model_err)?;
    let cfg = loaded.cfg.clone();
    let synthetic = opts.model.starts_with("synthetic:");
    let mut weights = loaded.weights;
    weights.round_to_bf16();
    // Synthetic weights are generated on the GPU (testing the generator too); others uploaded.
    let gpu_weights = if synthetic { GpuWeights::synthetic(gpu, &cfg, opts.seed)? } else { GpuWeights::upload(gpu, &cfg, &weights)? };
    let reference = Model::new(cfg.clone(), weights).map_err(model_err)?.with_bf16_activations();

    let prompt: Vec<u32> = match &tokenizer {
        Some(tok) => build_passkey(tok, opts.prompt_tokens, 0.5, opts.seed).map_err(model_err)?.prompt_ids,
        None => {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            (0..opts.prompt_tokens).map(|_| rng.gen_range(0..cfg.vocab as u32)).collect()
        }
    };
    let capacity = prompt.len() + opts.steps + 1;
    if capacity > cfg.max_context {
        return Err(SdecError::Invalid(format!("{} prompt tokens + {} steps exceed the model's context of {}", prompt.len(), opts.steps, cfg.max_context)));
    }

    // Reference: dense prefill, then the policy.
    let mut cache = reference.new_cache(capacity).map_err(model_err)?.with_bf16_storage();
    let mut want = reference.prefill(&mut cache, &prompt, 512).map_err(model_err)?;
    let mut policy = spec.build(&cfg).map_err(model_err)?;

    // GPU: the prompt in chunks (dense, causal).
    let mut dec = Decoder::new(gpu, tuned, &cfg, std::sync::Arc::new(gpu_weights), &spec, 1, capacity, opts.gemm, opts.prefill_chunk)?;
    dec.prefill(gpu, tuned, &[&prompt], false)?;
    let prefill_rel_l2 = rel_l2(&dec.logits(gpu)?, &want);

    let mut steps = Vec::with_capacity(opts.steps);
    for step in 0..opts.steps {
        let token = sdec_model::generate::argmax(&want);
        dec.set_tokens(gpu, &[token])?;
        if opts.graph { dec.step_graph(gpu, StepKind::Policy)? } else { dec.step(gpu, StepKind::Policy)? }
        let got = dec.logits(gpu)?;
        want = reference.decode(&mut cache, token, policy.as_mut()).map_err(model_err)?.logits;
        let gpu_token = sdec_model::generate::argmax(&got);
        let (reference_token, reference_margin) = best_two(&want);
        steps.push(StepCheck { step, rel_l2: rel_l2(&got, &want), gpu_token, reference_token, reference_margin });
    }
    let max_rel_l2 = steps.iter().map(|s| s.rel_l2).fold(prefill_rel_l2, f64::max);
    let first_token_mismatch = steps.iter().find(|s| s.gpu_token != s.reference_token).map(|s| s.step);
    Ok(CheckReport {
        model: opts.model.clone(),
        policy: opts.policy.clone(),
        prompt_tokens: prompt.len(),
        prefill_rel_l2,
        passed: max_rel_l2 <= LOGIT_REL_L2,
        steps,
        max_rel_l2,
        first_token_mismatch,
        graph: opts.graph,
        gemm: opts.gemm,
    })
}
