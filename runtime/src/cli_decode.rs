//! `sdec check` and `sdec bench decode`: the GPU decode loop from the command line.

use std::path::PathBuf;

use clap::Args;

use crate::decode::bench::{bench_decode, DecodeBenchOptions};
use crate::decode::check::{check_decode, CheckOptions, LOGIT_REL_L2};
use crate::cli_model::{bar, check_fits_cfg, generation_stops, load, print_report, prompt_ids, resolve_model, GenerateArgs};
use crate::decode::generate::{GpuGenerate, PREFILL_CHUNK};
use crate::decode::{Gemm, GpuWeights};
use sdec_model::{ModelConfig, PolicySpec};
use crate::gpu::Gpu;
use crate::tuned::Tuned;
use crate::{Result, SdecError};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// `smollm2`, `synthetic:tiny` (or another preset), or a path to a llama GGUF file.
    #[arg(long, default_value = "synthetic:tiny")]
    pub model: String,
    /// Attention policies to check (repeatable).
    #[arg(long, default_values_t = ["full".to_string()])]
    pub policy: Vec<String>,
    /// Prompt length in tokens (a passkey prompt for models with a tokenizer, random ids otherwise).
    #[arg(long, default_value_t = 256)]
    pub prompt_tokens: usize,
    /// Decode steps compared.
    #[arg(long, default_value_t = 32)]
    pub steps: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also run every check with the decode step captured in a CUDA graph.
    #[arg(long)]
    pub graph: bool,
    /// Linear layers on the generated `linear` kernels, on cuBLAS, or both.
    #[arg(long, default_value = "generated")]
    pub gemm: String,
    /// Prompt tokens per prefill pass on the GPU (1: the prompt's K/V come from one-row
    /// passes, whose projections keep their normed inputs in fp32 as decode steps do).
    #[arg(long, default_value_t = PREFILL_CHUNK)]
    pub prefill_chunk: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `generated`, `cublas` or `both`.
pub fn parse_gemm(text: &str) -> Result<Vec<Gemm>> {
    match text {
        "generated" => Ok(vec![Gemm::Generated]),
        "cublas" => Ok(vec![Gemm::Cublas]),
        "both" => Ok(vec![Gemm::Generated, Gemm::Cublas]),
        other => Err(SdecError::Invalid(format!("--gemm {other}: expected generated, cublas or both"))),
    }
}

/// True when every check is within [`LOGIT_REL_L2`].
pub fn check(args: &CheckArgs) -> Result<bool> {
    let gpu = Gpu::open(0)?;
    let tuned = Tuned::open_default(&gpu)?;
    let mut reports = Vec::new();
    let gemms = parse_gemm(&args.gemm)?;
    for policy in &args.policy {
        for (graph, &gemm) in (if args.graph { vec![false, true] } else { vec![false] }).into_iter().flat_map(|g| gemms.iter().map(move |m| (g, m))) {
            let opts = CheckOptions { model: args.model.clone(), policy: policy.clone(), prompt_tokens: args.prompt_tokens, steps: args.steps, seed: args.seed, graph, gemm, prefill_chunk: args.prefill_chunk };
            let r = check_decode(&gpu, &tuned, &opts)?;
            let mismatch = match r.first_token_mismatch {
                Some(s) => {
                    let at = &r.steps[s];
                    format!("greedy tokens part at step {s} (GPU {} vs reference {}, reference margin {:.4})", at.gpu_token, at.reference_token, at.reference_margin)
                }
                None => format!("greedy tokens identical for all {} steps", r.steps.len()),
            };
            println!(
                "{} {} {}{} [{:?}]: prompt {} tokens, prefill rel L2 {:.2e}, max rel L2 {:.2e} over {} steps (bound {LOGIT_REL_L2:.0e}); {mismatch}",
                if r.passed { "PASS" } else { "FAIL" },
                r.model,
                r.policy,
                if graph { " [graph]" } else { "" },
                gemm,
                r.prompt_tokens,
                r.prefill_rel_l2,
                r.max_rel_l2,
                r.steps.len()
            );
            reports.push(r);
        }
    }
    if let Some(path) = &args.json {
        crate::write_json(path, &reports)?;
    }
    Ok(reports.iter().all(|r| r.passed))
}

#[derive(Args, Debug)]
pub struct BenchDecodeArgs {
    /// A synthetic preset (`synthetic:llama-3.1-8b`, `synthetic:tiny`, ...).
    #[arg(long, default_value = "synthetic:llama-3.1-8b")]
    pub model: String,
    /// Context lengths; `k` means 1024.
    #[arg(long, default_value = "4k,32k,128k")]
    pub contexts: String,
    #[arg(long, default_value = "1")]
    pub batch: String,
    /// Policies (repeatable).
    #[arg(long, default_values_t = ["full".to_string()])]
    pub policy: Vec<String>,
    /// Timed steps per configuration.
    #[arg(long, default_value_t = 32)]
    pub steps: usize,
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Time eager launches, CUDA-graph launches, or both.
    #[arg(long, default_value = "both")]
    pub launch: String,
    /// Linear layers on the generated `linear` kernels, on cuBLAS, or both.
    #[arg(long, default_value = "generated")]
    pub gemm: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stages every step leaves out, to time what the rest costs inside the step's graph (the
    /// decoded values are then wrong; the table says which were left out).
    #[arg(long, value_delimiter = ',', value_enum)]
    pub omit: Vec<crate::decode::omit::Stage>,
    /// SpecAttn: tokens every timed round keeps (1 to γ + 1; 0: as the random weights' drafts
    /// match). The default is the acceptance measured on SmolLM2 with real text.
    #[arg(long, default_value_t = crate::decode::bench::SPEC_TIMING_ACCEPTED)]
    pub spec_accepted: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `sdec generate --device cuda`: the GPU decode loop with the CPU path's flags and report.
/// Synthetic presets are generated on the GPU (no host copy of their weights); GGUF models are
/// dequantized on the host and uploaded in bf16.
pub fn generate_cuda(args: &GenerateArgs, policy: &PolicySpec, text: &str) -> Result<()> {
    let gpu = Gpu::open(0)?;
    let tuned = Tuned::open_default(&gpu)?;
    let (cfg, weights, tok) = if args.model.starts_with("synthetic:") {
        let cfg = ModelConfig::preset(&resolve_model(&args.model)?).map_err(|e| SdecError::Invalid(e.to_string()))?;
        let weights = GpuWeights::synthetic(&gpu, &cfg, args.seed)?;
        (cfg, weights, None)
    } else {
        let (model, tok) = load(&args.model, args.seed)?;
        let weights = GpuWeights::upload(&gpu, &model.cfg, &model.weights)?;
        (model.cfg, weights, tok)
    };
    policy.build(&cfg).map_err(|e| SdecError::Invalid(e.to_string()))?;
    let prompt = prompt_ids(args, text.to_string(), tok.as_ref(), cfg.vocab)?;
    check_fits_cfg(prompt.len(), args.max_new_tokens, cfg.max_context)?;
    let stops = generation_stops(args, tok.as_ref());
    let pb = bar(args.max_new_tokens as u64, "{msg:>8} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})");
    pb.set_message("decode");
    let g = GpuGenerate { cfg: &cfg, weights, policy, prompt: &prompt, max_new_tokens: args.max_new_tokens, stop_tokens: &stops };
    let report = crate::decode::generate::generate(&gpu, &tuned, g, |n| pb.set_position(n as u64))?;
    pb.finish_and_clear();
    print_report(args, report, tok.as_ref())
}

/// `4k,32k,128k` or `4096,1000` → token counts.
pub fn parse_sizes(text: &str, what: &str) -> Result<Vec<usize>> {
    text.split(',')
        .map(|t| {
            let t = t.trim();
            let (digits, mult) = match t.strip_suffix(['k', 'K']) {
                Some(d) => (d, 1024),
                None => (t, 1),
            };
            digits.parse::<usize>().ok().filter(|&n| n > 0).map(|n| n * mult).ok_or_else(|| SdecError::Invalid(format!("bad {what} `{t}`: expected a positive number, optionally with k (= 1024)")))
        })
        .collect()
}

pub fn bench(args: &BenchDecodeArgs) -> Result<()> {
    let graph = match args.launch.as_str() {
        "eager" => vec![false],
        "graph" => vec![true],
        "both" => vec![false, true],
        other => return Err(SdecError::Invalid(format!("--launch {other}: expected eager, graph or both"))),
    };
    let opts = DecodeBenchOptions {
        model: args.model.clone(),
        contexts: parse_sizes(&args.contexts, "context")?,
        batches: parse_sizes(&args.batch, "batch")?,
        policies: args.policy.clone(),
        steps: args.steps.max(1),
        warmup: args.warmup,
        graph,
        gemms: parse_gemm(&args.gemm)?,
        seed: args.seed,
        omit: args.omit.clone(),
        spec_accepted: (args.spec_accepted > 0).then_some(args.spec_accepted),
    };
    let gpu = Gpu::open(0)?;
    let tuned = Tuned::open_default(&gpu)?;
    let report = bench_decode(&gpu, &tuned, &opts, |r| {
        eprintln!("bench decode: {} b{} ctx {} {} {:?}: {:.3} ms/step", r.policy, r.batch, r.context, if r.graph { "graph" } else { "eager" }, r.gemm, r.ms_per_step)
    })?;
    println!("{} , copy bandwidth {:.0} GB/s (read + write); {}", report.device, report.copy_bandwidth_gbs, args.model);
    if !args.omit.is_empty() {
        println!("steps leave out {:?}: their times only; the values they computed are wrong", args.omit);
    }
    println!("| policy | batch | context | launch | linear | ms/step (median) | min–max | tokens/s | GB read/step | byte floor ms | ms / floor | peak GiB | × full |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &report.rows {
        let speedup = r.speedup_vs_full.map_or("—".to_string(), |x| format!("{x:.3}×"));
        println!(
            "| {} | {} | {} | {} | {:?} | {:.3} | {:.3}–{:.3} | {:.1} | {:.2} | {:.3} | {:.2} | {:.1} | {speedup} |",
            r.policy, r.batch, r.context, if r.graph { "graph" } else { "eager" }, r.gemm, r.ms_per_step, r.min_ms, r.max_ms, r.tokens_per_s,
            r.bytes_per_step / 1e9, r.floor_ms, r.ms_per_step / r.floor_ms, r.peak_memory_gib
        );
    }
    let rounds: Vec<_> = report.rows.iter().filter_map(|r| r.spec_round.as_ref().map(|t| (r, t))).collect();
    if !rounds.is_empty() {
        println!("\nSpecAttn rounds (ms, medians; the draft steps above; acceptance is measured on a real model apart):");
        println!("| batch | context | γ | round | γ drafts | verification | selection | rounds | tokens kept a round | host before the first draft |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (r, t) in rounds {
            let kept = if t.accepted_forced { format!("{} (forced)", t.accepted) } else { format!("{} (median)", t.accepted) };
            println!(
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {kept} | {:.3} |",
                r.batch, r.context, t.gamma, t.round_ms, t.drafts_ms, t.verify_ms, t.select_ms, t.rounds, t.first_launch_ms
            );
        }
    }
    if let Some(path) = &args.json {
        crate::write_json(path, &report)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_named() {
        assert_eq!(parse_sizes("4k,32K,1000", "context").unwrap(), vec![4096, 32768, 1000]);
        let e = parse_sizes("4k,lots", "context").unwrap_err().to_string();
        assert!(e.contains("`lots`"), "{e}");
        assert!(parse_sizes("0", "batch").is_err());
    }
}
