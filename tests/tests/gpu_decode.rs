//! The GPU decode loop against the CPU reference (skips without a GPU), on `synthetic:tiny`,
//! eager and through the CUDA graph, with the generated linear kernels and with cuBLAS. The
//! reference rounds to bf16 what the generated path stores in bf16 (weights, KV cache, q/k/v,
//! attention output), so on that path every policy's every step must be within the bound —
//! the selecting ones too: their scores then agree to fp32 summation order, so a block, page or
//! token near the k-th best is picked alike (seen on the H100: every step of every policy
//! within 1.6e-3 on tiny and tiny-qwen3, seed 1). The cuBLAS path also rounds the normed inputs and the SwiGLU
//! activations, which the reference does not: there
//! - `full` and `streaming` (no selection to disagree on): every step within the bound;
//! - `lychee`, `quest`, `tidal` and `lfps`: a block whose score is within that extra rounding of
//!   the k-th best can be picked on one side only, and that step reads other tokens (seen: rel
//!   L2 3e-2 on one step of 24). So most steps (≥ 80%) must be within the bound; a wrong index,
//!   sink or recent window moves every step far beyond that.
//! Greedy tokens must agree except at a near tie of the reference's top two logits.

use sdec_runtime::decode::check::{check_decode, CheckOptions, LOGIT_REL_L2};
use sdec_runtime::decode::generate::{generate, GpuGenerate, PREFILL_CHUNK};
use sdec_runtime::decode::{Decoder, Gemm, GpuWeights, StepKind};
use sdec_runtime::tuned::Tuned;
use sdec_tests::gpu_or_skip;

/// A top-2 logit gap below this may go either way between the GPU and the reference.
const NEAR_TIE: f32 = 0.05;

#[test]
fn tiny_model_matches_the_reference_step_by_step() {
    let Some(gpu) = gpu_or_skip("tiny_model_matches_the_reference_step_by_step") else { return };
    let tuned = Tuned::open(&gpu, tempfile::tempdir().unwrap().path()).unwrap();
    for policy in ["full", "lychee:budget=64,block=16", "streaming:sink=4,recent=60", "quest:budget=64,page=16,dense_layers=1", "tidal:budget=64,layers=0", "lfps:budget=64,refresh=4"] {
        for (graph, gemm) in [(false, Gemm::Generated), (true, Gemm::Generated), (false, Gemm::Cublas)] {
            let opts = CheckOptions { model: "synthetic:tiny".into(), policy: policy.into(), prompt_tokens: 200, steps: 24, seed: 3, graph, gemm, prefill_chunk: PREFILL_CHUNK };
            let r = check_decode(&gpu, &tuned, &opts).expect("the check runs");
            assert_eq!(r.steps.len(), 24);
            let what = format!("{policy} graph={graph} {gemm:?}: {:?}", r.steps.iter().map(|s| s.rel_l2).collect::<Vec<_>>());
            let selects = ["lychee", "quest", "tidal", "lfps"].iter().any(|p| policy.starts_with(p));
            if gemm == Gemm::Generated || !selects {
                assert!(r.max_rel_l2 <= LOGIT_REL_L2, "{what}");
            } else {
                let within = r.steps.iter().filter(|s| s.rel_l2 <= LOGIT_REL_L2).count();
                assert!(within * 5 >= r.steps.len() * 4, "{what}");
            }
            if let Some(step) = r.first_token_mismatch {
                let margin = r.steps[step].reference_margin;
                assert!(margin < NEAR_TIE || (selects && gemm == Gemm::Cublas), "{what}: tokens part at step {step}, reference margin {margin}");
            }
        }
    }
}

/// Qwen3's q/k norm on the GPU (`rope_append` normalises each q and k head before the rotation):
/// `full` on a tiny Qwen3-shaped model within the bound, eager and graph, generated linear and cuBLAS.
#[test]
fn tiny_qwen3_matches_the_reference_step_by_step() {
    let Some(gpu) = gpu_or_skip("tiny_qwen3_matches_the_reference_step_by_step") else { return };
    let tuned = Tuned::open(&gpu, tempfile::tempdir().unwrap().path()).unwrap();
    for (graph, gemm) in [(false, Gemm::Generated), (true, Gemm::Generated), (false, Gemm::Cublas)] {
        let opts = CheckOptions { model: "synthetic:tiny-qwen3".into(), policy: "full".into(), prompt_tokens: 200, steps: 24, seed: 3, graph, gemm, prefill_chunk: PREFILL_CHUNK };
        let r = check_decode(&gpu, &tuned, &opts).expect("the check runs");
        let what = format!("graph={graph} {gemm:?}: {:?}", r.steps.iter().map(|s| s.rel_l2).collect::<Vec<_>>());
        assert!(r.max_rel_l2 <= LOGIT_REL_L2, "{what}");
        if let Some(step) = r.first_token_mismatch {
            assert!(r.steps[step].reference_margin < NEAR_TIE, "{what}: tokens part at step {step}");
        }
    }
}

#[test]
fn oversized_caches_are_refused_by_name() {
    let Some(gpu) = gpu_or_skip("oversized_caches_are_refused_by_name") else { return };
    let tuned = Tuned::open(&gpu, tempfile::tempdir().unwrap().path()).unwrap();
    let opts = CheckOptions { model: "synthetic:tiny".into(), policy: "full".into(), prompt_tokens: 5000, steps: 2, seed: 0, graph: false, gemm: Gemm::Generated, prefill_chunk: PREFILL_CHUNK };
    let e = check_decode(&gpu, &tuned, &opts).err().expect("beyond the context").to_string();
    assert!(e.contains("exceed the model's context"), "{e}");
}

/// SpecAttn is lossless: its rounds of sparse drafts and a dense verification give `full`'s
/// greedy tokens. Both run on the GPU (the same bf16 numerics), on a prompt long enough that
/// the 7% budget (minimum 256) drops most positions; a small `min` makes the drafts sparse.
#[test]
fn specattn_gives_full_tokens_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("specattn_gives_full_tokens_on_the_gpu") else { return };
    let tuned = Tuned::open(&gpu, tempfile::tempdir().unwrap().path()).unwrap();
    let cfg = sdec_model::ModelConfig::preset("synthetic:tiny").unwrap();
    let prompt: Vec<u32> = (0..700).map(|i| (i * 7919 % cfg.vocab) as u32).collect();
    let run = |policy: &str| {
        let policy = sdec_model::PolicySpec::parse(policy).unwrap();
        let weights = GpuWeights::synthetic(&gpu, &cfg, 5).unwrap();
        let g = GpuGenerate { cfg: &cfg, weights, policy: &policy, prompt: &prompt, max_new_tokens: 40, stop_tokens: &[] };
        generate(&gpu, &tuned, g, |_| {}).expect("generation runs")
    };
    let full = run("full");
    let spec = run("specattn:min=32,ratio=0.05");
    assert_eq!(spec.generated_ids, full.generated_ids, "acceptance per round {:?}", spec.acceptance);
    assert_eq!(spec.acceptance.iter().sum::<usize>() + 1, spec.generated_ids.len());
    assert!(spec.acceptance.iter().all(|&a| (1..=7).contains(&a)), "{:?}", spec.acceptance);
    // Draft steps read the budget plus the appended positions, far below the dense count.
    let sparse = spec.kv_read_per_step.iter().zip(&spec.kv_dense_per_step).filter(|(r, d)| **r * 4 < **d).count();
    assert!(sparse * 2 >= spec.kv_read_per_step.len(), "{:?}", spec.kv_read_per_step);
}

/// SpecAttn at batch 2: the batch keeps the shorter accepted prefix of its two sequences each
/// round, and each sequence still gets exactly the greedy tokens `full` gives it at batch 2.
#[test]
fn specattn_batch_of_two_gives_full_tokens() {
    let Some(gpu) = gpu_or_skip("specattn_batch_of_two_gives_full_tokens") else { return };
    let tuned = Tuned::open(&gpu, tempfile::tempdir().unwrap().path()).unwrap();
    let cfg = sdec_model::ModelConfig::preset("synthetic:tiny").unwrap();
    let prompts: Vec<Vec<u32>> = [7919, 104729].iter().map(|m| (0..700).map(|i| (i * m % cfg.vocab) as u32).collect()).collect();
    let prompts: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
    let weights = std::sync::Arc::new(GpuWeights::synthetic(&gpu, &cfg, 5).unwrap());
    let (want, capacity) = (30, 700 + 30 + 8);
    let decoder = |policy: &str| {
        let policy = sdec_model::PolicySpec::parse(policy).unwrap();
        Decoder::new(&gpu, &tuned, &cfg, weights.clone(), &policy, 2, capacity, Gemm::Generated, PREFILL_CHUNK).unwrap()
    };

    let mut full = decoder("full");
    full.prefill(&gpu, &tuned, &prompts, false).unwrap();
    let mut full_tokens = vec![Vec::new(); 2];
    while full_tokens[0].len() < want {
        for (seq, t) in full.tokens(&gpu).unwrap().into_iter().enumerate() {
            full_tokens[seq].push(t);
        }
        full.step_graph(&gpu, StepKind::Policy).unwrap();
    }

    let mut spec = decoder("specattn:min=32,ratio=0.05");
    spec.prefill(&gpu, &tuned, &prompts, true).unwrap();
    spec.spec_select_last(&gpu).unwrap();
    let mut spec_tokens: Vec<Vec<u32>> = spec.tokens(&gpu).unwrap().into_iter().map(|t| vec![t]).collect();
    let mut accepted = Vec::new();
    while spec_tokens[0].len() < want {
        let round = spec.spec_round(&gpu, &tuned, 6, false, None).unwrap();
        assert_eq!(round.tokens.len(), 2 * round.accepted);
        for (seq, tokens) in round.tokens.chunks(round.accepted).enumerate() {
            spec_tokens[seq].extend_from_slice(tokens);
        }
        accepted.push(round.accepted);
    }
    for seq in 0..2 {
        assert_eq!(spec_tokens[seq][..want], full_tokens[seq][..want], "sequence {seq}, accepted per round {accepted:?}");
    }
    assert!(accepted.iter().all(|&a| (1..=7).contains(&a)), "{accepted:?}");
    assert_ne!(full_tokens[0], full_tokens[1], "the two prompts should not give the same tokens");
}
