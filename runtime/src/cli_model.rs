//! `sdec generate` and `sdec eval passkey`: the CPU reference model (sdec-model) driven from the command
//! line. Every bad input (model, policy, prompt, lengths) is an [`SdecError`] with a line that says what
//! is wrong and what is valid; nothing here panics on input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sdec_model::passkey::{build_passkey, run_passkey_from, PasskeyTask};
use sdec_model::{
    generate_from, model_dir, prefill_prompt_with, stop_tokens, GenerateOptions, GenerateReport,
    Model, PolicySpec, Progress, Tokenizer,
};
use serde::Serialize;

use crate::{Result, SdecError};

/// The GGUF file `scripts/setup.sh` fetches, known to `--model` as `smollm2`.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Model names `--model` accepts besides a path to a `.gguf` file.
pub const MODEL_NAMES: [&str; 5] = ["smollm2", "synthetic:tiny", "synthetic:tiny-qwen3", "synthetic:llama-3.1-8b", "synthetic:qwen3-8b"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    Cpu,
    Cuda,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// `smollm2`, a synthetic preset (`synthetic:tiny`, ...) or a path to a llama/qwen3 GGUF file.
    #[arg(long)]
    pub model: String,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: Device,
    /// Attention policy `NAME[:key=value,...]`, e.g. `full`, `lychee:budget=1024`, `specattn:gamma=4`.
    #[arg(long, default_value = "full")]
    pub policy: String,
    /// The prompt text (synthetic models, which have no tokenizer, take its UTF-8 bytes as token ids).
    #[arg(long, required_unless_present = "prompt_file", conflicts_with = "prompt_file")]
    pub prompt: Option<String>,
    /// Read the prompt text from this file.
    #[arg(long)]
    pub prompt_file: Option<PathBuf>,
    /// Wrap the prompt as one user message in the model's chat template.
    #[arg(long)]
    pub chat: bool,
    #[arg(long, default_value_t = 32)]
    pub max_new_tokens: usize,
    /// Keep generating past end-of-turn tokens (for timings with a fixed number of new tokens).
    #[arg(long)]
    pub ignore_eos: bool,
    /// Prefill chunk in tokens (0 = the whole prompt at once).
    #[arg(long, default_value_t = 512)]
    pub prefill_chunk: usize,
    /// Seed of synthetic weights.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the whole report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PasskeyArgs {
    #[arg(long, default_value = "smollm2")]
    pub model: String,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: Device,
    /// Policies to evaluate (repeatable); `full` always runs too, as the reference, on the same prefill.
    #[arg(long, required = true)]
    pub policy: Vec<String>,
    /// Prompt lengths in tokens, comma separated; `k` means 1024 (`1k,2k,4k,7k`).
    #[arg(long, default_value = "1k,2k,4k")]
    pub lengths: String,
    /// Needle depths in [0, 1], comma separated.
    #[arg(long, default_value = "0.1,0.5,0.9")]
    pub depths: String,
    /// Seed of the first haystack and pass key; `--repeats` uses seed, seed+1, ...
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Haystacks (seeds) per length and depth.
    #[arg(long, default_value_t = 1)]
    pub repeats: u64,
    #[arg(long, default_value_t = 10)]
    pub max_new_tokens: usize,
    #[arg(long, default_value_t = 512)]
    pub prefill_chunk: usize,
    /// Print the whole report as JSON on stdout (the tables go to stderr).
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn model_err(e: sdec_model::ModelError) -> SdecError {
    SdecError::Invalid(e.to_string())
}

fn check_device(d: Device) -> Result<()> {
    match d {
        Device::Cpu => Ok(()),
        Device::Cuda => Err(SdecError::Invalid(
            "--device cuda: `sdec eval passkey` runs on the CPU reference only (the GPU decode loop serves `sdec generate --device cuda`, `sdec check` and `sdec bench decode`); use --device cpu".into(),
        )),
    }
}

/// Resolves `--model` to a loadable spec: a preset name, or an existing GGUF file.
pub fn resolve_model(name: &str) -> Result<String> {
    if name.starts_with("synthetic:") {
        return if MODEL_NAMES.contains(&name) {
            Ok(name.to_string())
        } else {
            Err(SdecError::Invalid(format!("unknown model `{name}`; valid: {}, or a path to a .gguf file", MODEL_NAMES.join(", "))))
        };
    }
    if name == "smollm2" {
        let path = model_dir().join(SMOLLM2_FILE);
        return if path.is_file() {
            Ok(path.display().to_string())
        } else {
            Err(SdecError::Invalid(format!(
                "model file {} not found: run `scripts/setup.sh` to fetch SmolLM2-135M-Instruct (or set SDEC_MODEL_DIR to the folder holding {SMOLLM2_FILE})",
                path.display()
            )))
        };
    }
    let path = Path::new(name);
    if path.is_file() {
        return Ok(name.to_string());
    }
    let in_dir = model_dir().join(name);
    if in_dir.is_file() {
        return Ok(in_dir.display().to_string());
    }
    if name.ends_with(".gguf") || name.contains('/') {
        return Err(SdecError::Invalid(format!(
            "model file {name} not found (nor in {}); `scripts/setup.sh` fetches SmolLM2 (`--model smollm2`)",
            model_dir().display()
        )));
    }
    Err(SdecError::Invalid(format!("unknown model `{name}`; valid: {}, or a path to a .gguf file", MODEL_NAMES.join(", "))))
}

pub(crate) fn load(name: &str, seed: u64) -> Result<(Model, Option<Tokenizer>)> {
    let spec = resolve_model(name)?;
    sdec_model::load_model(&spec, seed).map_err(|e| SdecError::Invalid(format!("cannot load model `{name}`: {e}")))
}

pub(crate) fn parse_policy(spec: &str) -> Result<PolicySpec> {
    PolicySpec::parse(spec).map_err(model_err)
}

/// Parses and builds the policy against the model, so bad parameters (a head map of the wrong shape,
/// say) fail before any work.
fn check_policy(spec: &PolicySpec, model: &Model) -> Result<()> {
    spec.build(&model.cfg).map(|_| ()).map_err(model_err)
}

pub(crate) fn check_fits_cfg(prompt_len: usize, new_tokens: usize, max: usize) -> Result<()> {
    if prompt_len == 0 {
        return Err(SdecError::Invalid("the prompt is empty".into()));
    }
    if prompt_len + new_tokens > max {
        return Err(SdecError::Invalid(format!(
            "the prompt is {prompt_len} tokens and {new_tokens} new tokens are asked for, but the model's context is {max} tokens"
        )));
    }
    Ok(())
}

pub(crate) fn check_fits(prompt_len: usize, new_tokens: usize, model: &Model) -> Result<()> {
    check_fits_cfg(prompt_len, new_tokens, model.cfg.max_context)
}

pub(crate) fn bar(len: u64, template: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    b
}

/// What `sdec generate --json` prints: the report plus summary statistics.
#[derive(Serialize)]
pub struct GenerateOutput {
    pub model: String,
    #[serde(flatten)]
    pub report: GenerateReport,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct Summary {
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    /// Σ KV entries read / Σ what full attention reads in the same passes.
    pub kv_read_fraction: f64,
    /// `specattn`: mean tokens accepted per round.
    pub mean_acceptance: Option<f64>,
    /// `lfps`: mean recall of the exact top-k.
    pub mean_recall: Option<f64>,
    pub decode_ms_per_token: f64,
}

fn summary(r: &GenerateReport) -> Summary {
    let n = r.generated_ids.len();
    Summary {
        prompt_tokens: r.prompt_ids.len(),
        generated_tokens: n,
        kv_read_fraction: r.kv_read_fraction(),
        mean_acceptance: (!r.acceptance.is_empty()).then(|| r.mean_acceptance()),
        mean_recall: (!r.recall.is_empty()).then(|| r.recall.iter().sum::<f64>() / r.recall.len() as f64),
        decode_ms_per_token: if n > 0 { 1e3 * r.decode_seconds / n as f64 } else { 0.0 },
    }
}

/// `sdec generate`.
pub fn generate(args: &GenerateArgs) -> Result<()> {
    let policy = parse_policy(&args.policy)?;
    let text = match (&args.prompt, &args.prompt_file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| SdecError::Invalid(format!("cannot read prompt file {}: {e}", f.display())))?,
        (None, None) => return Err(SdecError::Invalid("give --prompt TEXT or --prompt-file FILE".into())),
    };
    if args.device == Device::Cuda {
        return crate::cli_decode::generate_cuda(args, &policy, &text);
    }
    let (model, tok) = load(&args.model, args.seed)?;
    check_policy(&policy, &model)?;
    let prompt_ids = prompt_ids(args, text, tok.as_ref(), model.cfg.vocab)?;
    check_fits(prompt_ids.len(), args.max_new_tokens, &model)?;

    let pb = bar(prompt_ids.len() as u64, "{msg:>8} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})");
    pb.set_message("prefill");
    let mut on_prefill = |done: usize, _total: usize| pb.set_position(done as u64);
    let pre = prefill_prompt_with(&model, &prompt_ids, args.prefill_chunk, Some(&mut on_prefill)).map_err(model_err)?;
    pb.set_length(args.max_new_tokens as u64);
    pb.set_position(0);
    pb.set_message("decode");
    let mut on_decode = |p: Progress| pb.set_position(p.generated as u64);
    let opts = GenerateOptions {
        stop_tokens: generation_stops(args, tok.as_ref()),
        progress: Some(&mut on_decode),
        ..Default::default()
    };
    let report = generate_from(&model, pre, &policy, args.max_new_tokens, opts).map_err(model_err)?;
    pb.finish_and_clear();
    print_report(args, report, tok.as_ref())
}

/// The prompt's token ids: tokenized (in the chat template with `--chat`), or the text's bytes
/// for a model without a tokenizer.
pub(crate) fn prompt_ids(args: &GenerateArgs, text: String, tok: Option<&Tokenizer>, vocab: usize) -> Result<Vec<u32>> {
    match tok {
        Some(tok) => {
            let text = if args.chat { tok.apply_chat_template(&[("user", text.as_str())], true).map_err(|e| SdecError::Invalid(format!("chat template: {e}")))? } else { text };
            tok.encode(&text).map_err(|e| SdecError::Invalid(format!("cannot tokenize the prompt: {e}")))
        }
        None => {
            if args.chat {
                return Err(SdecError::Invalid(format!("--chat needs a model with a tokenizer; `{}` has none", args.model)));
            }
            if vocab < 256 {
                return Err(SdecError::Invalid(format!("`{}` has no tokenizer and a vocabulary under 256, so prompt bytes cannot be token ids", args.model)));
            }
            Ok(text.bytes().map(u32::from).collect())
        }
    }
}

/// End-of-turn tokens that stop generation (none with `--ignore-eos` or without a tokenizer).
pub(crate) fn generation_stops(args: &GenerateArgs, tok: Option<&Tokenizer>) -> Vec<u32> {
    match (tok, args.ignore_eos) {
        (Some(t), false) => stop_tokens(t),
        _ => Vec::new(),
    }
}

/// Prints a generation report, as JSON with `--json`: the same for both devices.
pub(crate) fn print_report(args: &GenerateArgs, mut report: GenerateReport, tok: Option<&Tokenizer>) -> Result<()> {
    report.text = match tok {
        Some(t) => t.decode(&report.generated_ids),
        None => String::from_utf8_lossy(&report.generated_ids.iter().map(|&i| (i & 0xff) as u8).collect::<Vec<u8>>()).into_owned(),
    };
    let s = summary(&report);
    if args.json {
        let out = GenerateOutput { model: args.model.clone(), report, summary: s };
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| SdecError::Invalid(e.to_string()))?);
        return Ok(());
    }
    match tok {
        Some(_) => println!("{}", report.text),
        None => println!("generated ids (no tokenizer): {:?}", report.generated_ids),
    }
    let mut extra = String::new();
    if let Some(a) = s.mean_acceptance {
        extra += &format!(", {a:.2} tokens accepted per round");
    }
    if let Some(r) = s.mean_recall {
        extra += &format!(", top-k recall {r:.3}");
    }
    eprintln!(
        "{}: prompt {} tokens, {} generated; prefill {:.2} s, decode {:.2} s ({:.1} ms/token); KV read {:.3} of full{extra}",
        report.policy, s.prompt_tokens, s.generated_tokens, report.prefill_seconds, report.decode_seconds, s.decode_ms_per_token, s.kv_read_fraction
    );
    Ok(())
}

/// `1k` → 1024, `1500` → 1500.
pub fn parse_length(s: &str) -> Result<usize> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mul) = match t.strip_suffix('k') {
        Some(n) => (n, 1024.0),
        None => (t.as_str(), 1.0),
    };
    let v: f64 = num.parse().map_err(|_| SdecError::Invalid(format!("bad length `{s}`: expected a token count like 1500 or 4k")))?;
    let n = (v * mul).round();
    if !(n >= 1.0 && n.is_finite()) {
        return Err(SdecError::Invalid(format!("bad length `{s}`: must be at least one token")));
    }
    Ok(n as usize)
}

pub(crate) fn parse_depths(s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|d| {
            let v: f64 = d.trim().parse().map_err(|_| SdecError::Invalid(format!("bad depth `{d}`: expected a number in [0, 1]")))?;
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(SdecError::Invalid(format!("bad depth `{d}`: must be in [0, 1]")))
            }
        })
        .collect()
}

/// One policy on one passkey prompt.
#[derive(Clone, Debug, Serialize)]
pub struct PasskeyCase {
    pub policy: String,
    pub length: usize,
    pub depth: f64,
    pub seed: u64,
    pub prompt_tokens: usize,
    pub passkey: String,
    pub answer: String,
    pub correct: bool,
    /// Same greedy tokens as `full` on the same prompt.
    pub agrees_with_full: bool,
    pub generated_ids: Vec<u32>,
    pub kv_read_fraction: f64,
    pub mean_acceptance: Option<f64>,
    pub mean_recall: Option<f64>,
    pub prefill_seconds: f64,
    pub decode_seconds: f64,
}

/// Counts for one (policy, length, depth).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PasskeyCell {
    pub policy: String,
    pub length: usize,
    pub depth: f64,
    pub n: usize,
    pub correct: usize,
    pub agree: usize,
    pub kv_read_fraction: f64,
}

#[derive(Serialize)]
pub struct PasskeyReport {
    pub model: String,
    pub lengths: Vec<usize>,
    pub depths: Vec<f64>,
    pub seeds: Vec<u64>,
    pub policies: Vec<String>,
    pub max_new_tokens: usize,
    pub cells: Vec<PasskeyCell>,
    pub cases: Vec<PasskeyCase>,
}

/// `sdec eval passkey`.
pub fn eval_passkey(args: &PasskeyArgs) -> Result<()> {
    check_device(args.device)?;
    let lengths: Vec<usize> = args.lengths.split(',').map(parse_length).collect::<Result<_>>()?;
    let depths = parse_depths(&args.depths)?;
    if args.repeats == 0 {
        return Err(SdecError::Invalid("--repeats must be at least 1".into()));
    }
    // `full` first: it is the reference every other policy is compared with.
    let mut specs = vec![PolicySpec::Full];
    for p in &args.policy {
        let s = parse_policy(p)?;
        if !specs.contains(&s) {
            specs.push(s);
        }
    }
    let (model, tok) = load(&args.model, 0)?;
    let tok = tok.ok_or_else(|| SdecError::Invalid(format!("passkey prompts need a model with a tokenizer; `{}` has none (try --model smollm2)", args.model)))?;
    for s in &specs {
        check_policy(s, &model)?;
    }
    for &l in &lengths {
        check_fits(l, args.max_new_tokens, &model)?;
    }
    let seeds: Vec<u64> = (0..args.repeats).map(|i| args.seed + i).collect();
    let mut tasks: Vec<(usize, PasskeyTask, u64)> = Vec::new();
    for &l in &lengths {
        for &d in &depths {
            for &s in &seeds {
                let t = build_passkey(&tok, l, d, s).map_err(model_err)?;
                check_fits(t.prompt_ids.len(), args.max_new_tokens, &model)?;
                tasks.push((l, t, s));
            }
        }
    }
    let pb = bar(tasks.len() as u64, "passkey [{bar:30}] {pos}/{len} prompts ({elapsed}, eta {eta}) {msg}");
    let names: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
    let mut cases: Vec<PasskeyCase> = Vec::new();
    for (length, task, seed) in &tasks {
        let n = task.prompt_ids.len();
        let label = format!("{n} tokens, depth {}", task.depth);
        let mut on_prefill = |done: usize, total: usize| pb.set_message(format!("{label}: prefill {done}/{total}"));
        let pre = prefill_prompt_with(&model, &task.prompt_ids, args.prefill_chunk, Some(&mut on_prefill)).map_err(model_err)?;
        let mut full_ids: Vec<u32> = Vec::new();
        for (spec, name) in specs.iter().zip(&names) {
            pb.set_message(format!("{label}: {}", spec.name()));
            let r = run_passkey_from(&model, &tok, task, pre.clone(), spec, args.max_new_tokens).map_err(model_err)?;
            if matches!(spec, PolicySpec::Full) {
                full_ids = r.report.generated_ids.clone();
            }
            let s = summary(&r.report);
            let case = PasskeyCase {
                policy: name.clone(),
                length: *length,
                depth: task.depth,
                seed: *seed,
                prompt_tokens: n,
                passkey: task.passkey.clone(),
                answer: r.answer.trim().to_string(),
                correct: r.correct,
                agrees_with_full: r.report.generated_ids == full_ids,
                generated_ids: r.report.generated_ids.clone(),
                kv_read_fraction: s.kv_read_fraction,
                mean_acceptance: s.mean_acceptance,
                mean_recall: s.mean_recall,
                prefill_seconds: pre.seconds,
                decode_seconds: r.report.decode_seconds,
            };
            pb.suspend(|| {
                eprintln!(
                    "{:>5} tokens depth {:.2} seed {}: {:<5} {:?} (key {}) KV {:.3}  {}",
                    n, task.depth, seed, if case.correct { "OK" } else { "MISS" }, case.answer, case.passkey, case.kv_read_fraction, case.policy
                )
            });
            cases.push(case);
        }
        pb.inc(1);
    }
    pb.finish_and_clear();

    let mut cells: BTreeMap<(usize, usize, usize), PasskeyCell> = BTreeMap::new();
    for c in &cases {
        let pi = names.iter().position(|n| *n == c.policy).unwrap_or(0);
        let di = depths.iter().position(|d| *d == c.depth).unwrap_or(0);
        let li = lengths.iter().position(|l| *l == c.length).unwrap_or(0);
        let e = cells.entry((pi, li, di)).or_insert_with(|| PasskeyCell { policy: c.policy.clone(), length: c.length, depth: c.depth, ..Default::default() });
        e.n += 1;
        e.correct += c.correct as usize;
        e.agree += c.agrees_with_full as usize;
        e.kv_read_fraction += c.kv_read_fraction;
    }
    let cells: Vec<PasskeyCell> = cells
        .into_values()
        .map(|mut c| {
            c.kv_read_fraction /= c.n as f64;
            c
        })
        .collect();
    let table = passkey_table(&names, &lengths, &cells);
    let report = PasskeyReport { model: args.model.clone(), lengths, depths, seeds, policies: names, max_new_tokens: args.max_new_tokens, cells, cases };
    if args.json {
        eprintln!("{table}");
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| SdecError::Invalid(e.to_string()))?);
    } else {
        println!("{table}");
    }
    Ok(())
}

/// Markdown: per policy and length, correct / n, agreement with full, mean KV fraction read.
fn passkey_table(names: &[String], lengths: &[usize], cells: &[PasskeyCell]) -> String {
    let mut s = String::from("| policy |");
    for l in lengths {
        s += &format!(" {l}: correct | agree w/ full | KV read |");
    }
    s += "\n| --- |";
    for _ in lengths {
        s += " --- | --- | --- |";
    }
    for name in names {
        s += &format!("\n| {name} |");
        for &l in lengths {
            let sel: Vec<&PasskeyCell> = cells.iter().filter(|c| c.policy == *name && c.length == l).collect();
            let n: usize = sel.iter().map(|c| c.n).sum();
            let ok: usize = sel.iter().map(|c| c.correct).sum();
            let ag: usize = sel.iter().map(|c| c.agree).sum();
            let kv = if n > 0 { sel.iter().map(|c| c.kv_read_fraction * c.n as f64).sum::<f64>() / n as f64 } else { 0.0 };
            s += &format!(" {ok}/{n} | {ag}/{n} | {kv:.3} |");
        }
    }
    s
}
