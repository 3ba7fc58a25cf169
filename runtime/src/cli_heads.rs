//! `sdec lychee-heads`: a LycheeDecode head map from profiling calibration passkey prompts.
//!
//! Each calibration prompt is prefilled once and decoded densely under the coverage profiler
//! (`sdec_model::policies::coverage`); the pooled profile then picks the retrieval heads greedily
//! (`sdec_model::policies::head_choice`) and the map is written in the format `lychee:heads=FILE` reads.
//! The profile can be saved and reused (`--save-profile`, `--from-profile`) to choose maps of other
//! fractions without running the model again.

use std::path::{Path, PathBuf};

use clap::Args;
use sdec_model::passkey::build_passkey;
use sdec_model::policies::head_choice::layer0_only;
use sdec_model::policies::{
    check_fraction, choose_heads, profile_prompt, retrieval_count, CoverageProfile, HeadChoice,
    HeadMap, LycheeParams,
};
use sdec_model::{prefill_prompt_with, stop_tokens, PolicySpec};
use serde::{Deserialize, Serialize};

use crate::cli_model::{bar, check_fits, load, model_err, parse_depths, parse_length, parse_policy};
use crate::{Result, SdecError};

#[derive(Args, Debug)]
pub struct LycheeHeadsArgs {
    /// `smollm2`, or a path to a llama/qwen3 GGUF file (calibration prompts need a tokenizer).
    #[arg(long, default_value = "smollm2")]
    pub model: String,
    /// The Lychee setting the map is for (budget, block, sink, recent), without `heads=`.
    #[arg(long, default_value = "lychee:budget=1024")]
    pub policy: String,
    /// Retrieval heads beyond layer 0, as a share of all (layer, KV head) pairs, in [0, 1]
    /// (LycheeDecode: about 0.09).
    #[arg(long, default_value_t = 0.09)]
    pub fraction: f64,
    /// Calibration prompt lengths, comma separated (`k` = 1024).
    #[arg(long, default_value = "2k,4k")]
    pub lengths: String,
    /// Calibration needle depths in [0, 1], comma separated.
    #[arg(long, default_value = "0.25,0.75")]
    pub depths: String,
    /// Seed of the first calibration prompt: prompt i of lengths x depths (in that order) uses seed + i,
    /// so every prompt has its own key and haystack. Keep it clear of the evaluation's seeds
    /// (`sdec eval passkey` uses 1 by default).
    #[arg(long, default_value_t = 100)]
    pub seed: u64,
    /// Decode steps per prompt (the first token comes from the prefill); stops at end of turn.
    #[arg(long, default_value_t = 10)]
    pub max_new_tokens: usize,
    #[arg(long, default_value_t = 512)]
    pub prefill_chunk: usize,
    /// Write the head map here (`{"retrieval": [[layer, kv_head], ...], "about": {...}}`).
    #[arg(long)]
    pub out: PathBuf,
    /// Also save the coverage profile here, for `--from-profile`.
    #[arg(long)]
    pub save_profile: Option<PathBuf>,
    /// Choose from a saved profile instead of running the model; its model, Lychee setting and
    /// prompts are used (`--model`, `--policy`, `--lengths`, `--depths`, `--seed` are ignored).
    #[arg(long, conflicts_with = "save_profile")]
    pub from_profile: Option<PathBuf>,
}

/// One calibration prompt as profiled.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationPrompt {
    pub tokens: usize,
    pub depth: f64,
    pub seed: u64,
    pub passkey: String,
    /// What dense decoding answered (the profile follows it).
    pub answer: String,
    pub correct: bool,
    pub decode_steps: usize,
}

/// What `--save-profile` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedProfile {
    pub model: String,
    /// The canonical Lychee spec the coverage was measured for.
    pub policy: String,
    pub prompts: Vec<CalibrationPrompt>,
    pub profile: CoverageProfile,
}

fn lychee_params(spec: &str) -> Result<LycheeParams> {
    match parse_policy(spec)? {
        PolicySpec::Lychee(p) if p.heads.is_none() => Ok(p),
        PolicySpec::Lychee(_) => Err(SdecError::Invalid(format!("--policy `{spec}`: leave out heads= (the map is what this command makes)"))),
        other => Err(SdecError::Invalid(format!("--policy `{spec}` is `{}`; head maps are for lychee (e.g. lychee:budget=1024)", other.name()))),
    }
}

fn check_writable(path: &Path, flag: &str) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(SdecError::Invalid(format!("{flag} {}: folder {} does not exist", path.display(), dir.display()))),
        _ => Ok(()),
    }
}

/// Profiles every calibration prompt and pools the results.
fn profile_model(args: &LycheeHeadsArgs, params: &LycheeParams) -> Result<SavedProfile> {
    let lengths: Vec<usize> = args.lengths.split(',').map(parse_length).collect::<Result<_>>()?;
    let depths = parse_depths(&args.depths)?;
    if args.max_new_tokens < 2 {
        return Err(SdecError::Invalid("--max-new-tokens must be at least 2 (the first token comes from the prefill; profiling needs decode steps)".into()));
    }
    let (model, tok) = load(&args.model, 0)?;
    let tok = tok.ok_or_else(|| SdecError::Invalid(format!("calibration prompts are passkey prompts and need a model with a tokenizer; `{}` has none (try --model smollm2)", args.model)))?;
    let mut tasks = Vec::new();
    for &l in &lengths {
        for &d in &depths {
            let seed = args.seed + tasks.len() as u64;
            let t = build_passkey(&tok, l, d, seed).map_err(model_err)?;
            check_fits(t.prompt_ids.len(), args.max_new_tokens, &model)?;
            tasks.push((t, seed));
        }
    }
    let stops = stop_tokens(&tok);
    let mut pooled = CoverageProfile::empty(model.cfg.n_layer, model.cfg.n_kv_head);
    let mut prompts = Vec::new();
    let pb = bar(tasks.len() as u64, "profile [{bar:30}] {pos}/{len} prompts ({elapsed}, eta {eta}) {msg}");
    for (task, seed) in &tasks {
        let n = task.prompt_ids.len();
        let mut on_prefill = |done: usize, total: usize| pb.set_message(format!("{n} tokens: prefill {done}/{total}"));
        let pre = prefill_prompt_with(&model, &task.prompt_ids, args.prefill_chunk, Some(&mut on_prefill)).map_err(model_err)?;
        pb.set_message(format!("{n} tokens: profiling decode"));
        let (prof, ids) = profile_prompt(&model, pre, params, args.max_new_tokens, &stops).map_err(model_err)?;
        pooled.merge(&prof).map_err(model_err)?;
        let answer = tok.decode(&ids).trim().to_string();
        let p = CalibrationPrompt { tokens: n, depth: task.depth, seed: *seed, correct: answer.contains(&task.passkey), passkey: task.passkey.clone(), answer, decode_steps: prof.samples };
        pb.suspend(|| eprintln!("{:>5} tokens depth {:.2} seed {}: full answered {:?} (key {}), {} decode steps profiled", p.tokens, p.depth, p.seed, p.answer, p.passkey, p.decode_steps));
        prompts.push(p);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let policy = PolicySpec::Lychee(params.clone()).to_string();
    Ok(SavedProfile { model: args.model.clone(), policy, prompts, profile: pooled })
}

fn read_profile(path: &Path) -> Result<SavedProfile> {
    let text = std::fs::read_to_string(path).map_err(|e| SdecError::Invalid(format!("cannot read profile {}: {e}", path.display())))?;
    let saved: SavedProfile = serde_json::from_str(&text).map_err(|e| SdecError::Invalid(format!("{} is not a profile saved by `sdec lychee-heads --save-profile`: {e}", path.display())))?;
    let p = &saved.profile;
    p.validate(p.n_layer, p.n_kv_head).map_err(|e| SdecError::Invalid(format!("{}: {e}", path.display())))?;
    if p.n_layer == 0 || p.n_kv_head == 0 {
        return Err(SdecError::Invalid(format!("{}: the profile has no heads", path.display())));
    }
    Ok(saved)
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(|e| SdecError::Invalid(e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| SdecError::Invalid(format!("cannot write {}: {e}", path.display())))
}

/// Mean and minimum coverage of the sparse heads under `map`, and its number of retrieval heads.
#[derive(Serialize)]
struct MapScore {
    retrieval_heads: usize,
    mean_sparse_coverage: f64,
    min_sparse_coverage: f64,
    missed_mass: f64,
}

/// Four decimals: the file is read by people, and the last bits do not survive a JSON round trip.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl MapScore {
    fn rounded(self) -> Self {
        MapScore { mean_sparse_coverage: round4(self.mean_sparse_coverage), min_sparse_coverage: round4(self.min_sparse_coverage), missed_mass: round4(self.missed_mass), ..self }
    }
}

fn score(profile: &CoverageProfile, map: &HeadMap) -> MapScore {
    let cov = profile.coverage_under(map);
    let sparse: Vec<f64> = cov.iter().enumerate().flat_map(|(l, row)| row.iter().enumerate().filter(move |(h, _)| l > 0 && !map.retrieval[l][*h]).map(|(_, &c)| c)).collect();
    let n = sparse.len().max(1) as f64;
    MapScore {
        retrieval_heads: map.n_retrieval(),
        mean_sparse_coverage: sparse.iter().sum::<f64>() / n,
        min_sparse_coverage: sparse.iter().copied().fold(1.0, f64::min),
        missed_mass: profile.missed(map),
    }
}

fn report(saved: &SavedProfile, fraction: f64, choice: &HeadChoice) {
    let p = &saved.profile;
    println!("{} decode steps from {} calibration prompts, {} ({} layers x {} KV heads), coverage for {}", p.samples, saved.prompts.len(), saved.model, p.n_layer, p.n_kv_head, saved.policy);
    println!("fraction {fraction}: {} retrieval heads beyond layer 0, chosen in this order:", choice.picks.len());
    println!("| pick | layer | KV head | coverage as sparse | missed mass after |");
    println!("| --- | --- | --- | --- | --- |");
    for (i, k) in choice.picks.iter().enumerate() {
        println!("| {} | {} | {} | {:.3} | {:.3} |", i + 1, k.layer, k.kv_head, k.coverage_before, k.missed_after);
    }
    let maps = [("layer 0 only", layer0_only(p.n_layer, p.n_kv_head)), ("default (l mod n_kv)", HeadMap::default_of(p.n_layer, p.n_kv_head)), ("profiled", choice.map.clone())];
    println!("| map | retrieval heads | mean sparse coverage | min sparse coverage | missed mass |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, m) in &maps {
        let s = score(p, m);
        println!("| {name} | {} | {:.3} | {:.3} | {:.2} |", s.retrieval_heads, s.mean_sparse_coverage, s.min_sparse_coverage, s.missed_mass);
    }
    // The best any head could do at this budget and block size: reading its own fresh picks.
    let own: Vec<f64> = (1..p.n_layer).flat_map(|l| (0..p.n_kv_head).map(move |h| (l, h))).map(|(l, h)| p.get(h, l, l)).collect();
    let mean_own = own.iter().sum::<f64>() / own.len().max(1) as f64;
    println!("every head reading its own picks (an upper bound for any map): mean coverage {mean_own:.3}, min {:.3}", own.iter().copied().fold(1.0, f64::min));
}

/// `sdec lychee-heads`.
pub fn lychee_heads(args: &LycheeHeadsArgs) -> Result<()> {
    if check_fraction(args.fraction).is_err() {
        return Err(SdecError::Invalid(format!("--fraction {}: must be in [0, 1] (the share of all (layer, KV head) pairs made retrieval heads beyond layer 0; LycheeDecode uses about 0.09)", args.fraction)));
    }
    check_writable(&args.out, "--out")?;
    if let Some(p) = &args.save_profile {
        check_writable(p, "--save-profile")?;
    }
    let saved = match &args.from_profile {
        Some(path) => read_profile(path)?,
        None => {
            let params = lychee_params(&args.policy)?;
            let saved = profile_model(args, &params)?;
            if let Some(path) = &args.save_profile {
                write_json(path, &saved)?;
            }
            saved
        }
    };
    let p = &saved.profile;
    let count = retrieval_count(args.fraction, p.n_layer, p.n_kv_head).map_err(model_err)?;
    let choice = choose_heads(p, count);
    report(&saved, args.fraction, &choice);
    let about = serde_json::json!({
        "made_by": "sdec lychee-heads (runtime/src/cli_heads.rs): greedy on missed attention mass over calibration prompts",
        "model": saved.model,
        "policy": saved.policy,
        "fraction": args.fraction,
        "retrieval_beyond_layer0": choice.picks.len(),
        "decode_steps": p.samples,
        "calibration": saved.prompts.iter().map(|c| serde_json::json!({"tokens": c.tokens, "depth": c.depth, "seed": c.seed})).collect::<Vec<_>>(),
        "scores": score(p, &choice.map).rounded(),
        "picks": choice.picks.iter().map(|k| serde_json::json!({"layer": k.layer, "kv_head": k.kv_head, "coverage_before": round4(k.coverage_before), "missed_after": round4(k.missed_after)})).collect::<Vec<_>>(),
    });
    let out = args.out.display().to_string();
    choice.map.save(&out, Some(&about)).map_err(model_err)?;
    println!("wrote {out}: {} retrieval heads ({} in layer 0)", choice.map.n_retrieval(), p.n_kv_head);
    Ok(())
}
