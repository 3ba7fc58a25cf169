//! Greedy generation under any policy, with per-step statistics; self-speculative decoding for `specattn`.

use crate::error::Result;
use crate::kv_cache::KvCache;
use crate::model::{LogitRows, Model, ProbCapture};
use crate::policies::{PolicySpec, SpecAttnParams, SpecDraft};
use crate::select::top_k;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerateReport {
    /// The canonical policy string (every parameter spelled out).
    pub policy: String,
    pub prompt_ids: Vec<u32>,
    pub generated_ids: Vec<u32>,
    /// Decoded text of `generated_ids`; left empty here, filled by a caller that has a tokenizer.
    pub text: String,
    /// Per generated token: the five best (id, logit), best first, ties to the smaller id.
    pub top5: Vec<Vec<(u32, f32)>>,
    /// Per decode forward pass (for `specattn`: each draft step and each verify pass): KV entries read,
    /// Σ over layers and KV heads of the positions attended (a verify pass counts each of its rows).
    pub kv_read_per_step: Vec<u64>,
    /// What full attention reads in the same passes.
    pub kv_dense_per_step: Vec<u64>,
    /// `specattn`: tokens accepted per round (matching drafts + the bonus token).
    pub acceptance: Vec<usize>,
    /// `lfps`: per decode step, the recall of the exact top-k.
    pub recall: Vec<f64>,
    pub prefill_seconds: f64,
    pub decode_seconds: f64,
}

impl GenerateReport {
    /// Mean tokens accepted per speculative round (0 when not speculative).
    pub fn mean_acceptance(&self) -> f64 {
        if self.acceptance.is_empty() {
            return 0.0;
        }
        self.acceptance.iter().sum::<usize>() as f64 / self.acceptance.len() as f64
    }

    /// Σ KV entries read / Σ what full attention would read.
    pub fn kv_read_fraction(&self) -> f64 {
        let d: u64 = self.kv_dense_per_step.iter().sum();
        if d == 0 {
            return 1.0;
        }
        self.kv_read_per_step.iter().sum::<u64>() as f64 / d as f64
    }
}

/// Where generation stands, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub generated: usize,
    pub max_new_tokens: usize,
}

pub struct GenerateOptions<'a> {
    /// Prefill chunk size in tokens (0 = the whole prompt at once). Default 512.
    pub prefill_chunk: usize,
    /// Stop after generating any of these (it is kept in the output).
    pub stop_tokens: Vec<u32>,
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
}

impl Default for GenerateOptions<'_> {
    fn default() -> Self {
        Self {
            prefill_chunk: 512,
            stop_tokens: Vec::new(),
            progress: None,
        }
    }
}

/// The five best (id, logit).
pub fn top5(logits: &[f32]) -> Vec<(u32, f32)> {
    top_k(logits, 5)
        .into_iter()
        .map(|i| (i as u32, logits[i]))
        .collect()
}

/// Greedy choice; ties go to the smaller id.
pub fn argmax(logits: &[f32]) -> u32 {
    top_k(logits, 1).first().copied().unwrap_or(0) as u32
}

/// Greedy generation of up to `max_new_tokens` tokens after `prompt` under `policy`.
pub fn generate(
    model: &Model,
    prompt: &[u32],
    policy: &PolicySpec,
    max_new_tokens: usize,
) -> Result<GenerateReport> {
    generate_with(
        model,
        prompt,
        policy,
        max_new_tokens,
        GenerateOptions::default(),
    )
}

pub fn generate_with(
    model: &Model,
    prompt: &[u32],
    policy: &PolicySpec,
    max_new_tokens: usize,
    opts: GenerateOptions<'_>,
) -> Result<GenerateReport> {
    let pre = prefill_prompt(model, prompt, opts.prefill_chunk)?;
    generate_from(model, pre, policy, max_new_tokens, opts)
}

/// A prompt already run through the model: the cache, the last row's logits and its attention
/// probabilities (SpecAttn's first selection). Clone it to try several policies on one prefill.
#[derive(Clone, Debug)]
pub struct Prefilled {
    pub prompt_ids: Vec<u32>,
    pub cache: KvCache,
    pub logits: Vec<f32>,
    pub capture: ProbCapture,
    pub seconds: f64,
}

/// Dense chunked prefill of `prompt` (`chunk` tokens at a time, 0 = all at once).
pub fn prefill_prompt(model: &Model, prompt: &[u32], chunk: usize) -> Result<Prefilled> {
    prefill_prompt_with(model, prompt, chunk, None)
}

/// [`prefill_prompt`] that reports `(tokens done, prompt length)` after each chunk, for a progress bar.
pub fn prefill_prompt_with(
    model: &Model,
    prompt: &[u32],
    chunk: usize,
    progress: Option<&mut dyn FnMut(usize, usize)>,
) -> Result<Prefilled> {
    let t0 = Instant::now();
    let mut cache = model.new_cache(prompt.len().min(model.cfg.max_context))?;
    let (logits, capture) = prefill(model, &mut cache, prompt, chunk, progress)?;
    Ok(Prefilled {
        prompt_ids: prompt.to_vec(),
        cache,
        logits,
        capture,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Greedy generation continuing a [`Prefilled`] prompt (`opts.prefill_chunk` is not used).
pub fn generate_from(
    model: &Model,
    pre: Prefilled,
    policy: &PolicySpec,
    max_new_tokens: usize,
    mut opts: GenerateOptions<'_>,
) -> Result<GenerateReport> {
    let Prefilled {
        prompt_ids,
        mut cache,
        logits,
        capture,
        seconds,
    } = pre;
    let mut report = GenerateReport {
        policy: policy.to_string(),
        prompt_ids,
        prefill_seconds: seconds,
        ..Default::default()
    };
    let spec = match policy {
        PolicySpec::SpecAttn(p) => Some(p.clone()),
        _ => None,
    };
    let extra = spec.as_ref().map_or(0, |p| p.gamma + 1);
    let need = (cache.len() + max_new_tokens + extra).min(model.cfg.max_context);
    cache.reserve(need);
    if max_new_tokens == 0 {
        return Ok(report);
    }
    let t1 = Instant::now();
    let first = argmax(&logits);
    report.top5.push(top5(&logits));
    report.generated_ids.push(first);
    notify(&mut opts, &report, max_new_tokens);
    match spec {
        Some(p) => speculative(
            model,
            &mut cache,
            p,
            &capture,
            max_new_tokens,
            &mut opts,
            &mut report,
        )?,
        None => {
            let mut pol = policy.build(&model.cfg)?;
            let mut tok = first;
            while report.generated_ids.len() < max_new_tokens && !opts.stop_tokens.contains(&tok) {
                let dense = model.dense_kv_entries(cache.len() + 1);
                let out = model.decode(&mut cache, tok, pol.as_mut())?;
                tok = argmax(&out.logits);
                report.top5.push(top5(&out.logits));
                report.generated_ids.push(tok);
                report.kv_read_per_step.push(out.kv_read);
                report.kv_dense_per_step.push(dense);
                if let Some(r) = out.stats.recall {
                    report.recall.push(r);
                }
                notify(&mut opts, &report, max_new_tokens);
            }
        }
    }
    report.decode_seconds = t1.elapsed().as_secs_f64();
    Ok(report)
}

fn notify(opts: &mut GenerateOptions<'_>, report: &GenerateReport, max_new_tokens: usize) {
    if let Some(cb) = opts.progress.as_mut() {
        cb(Progress {
            generated: report.generated_ids.len(),
            max_new_tokens,
        });
    }
}

/// Chunked prefill, capturing the last row's attention probabilities per layer.
fn prefill(
    model: &Model,
    cache: &mut KvCache,
    prompt: &[u32],
    chunk: usize,
    mut progress: Option<&mut dyn FnMut(usize, usize)>,
) -> Result<(Vec<f32>, ProbCapture)> {
    let chunk = if chunk == 0 {
        prompt.len().max(1)
    } else {
        chunk
    };
    let chunks: Vec<&[u32]> = prompt.chunks(chunk).collect();
    let Some((last, head)) = chunks.split_last() else {
        return Err(crate::error::ModelError::Empty(
            "prefill needs at least one token".into(),
        ));
    };
    let mut done = 0;
    for c in head {
        model.forward_chunk(cache, c, LogitRows::Last, None)?;
        done += c.len();
        if let Some(cb) = progress.as_mut() {
            cb(done, prompt.len());
        }
    }
    let mut cap = ProbCapture::new(vec![last.len() - 1]);
    let l = model.forward_chunk(cache, last, LogitRows::Last, Some(&mut cap))?;
    if let Some(cb) = progress.as_mut() {
        cb(prompt.len(), prompt.len());
    }
    Ok((l.row(0).to_vec(), cap))
}

/// Per-layer selection scores: mean over all query heads and the given captured rows.
fn spec_scores(cap: &ProbCapture, rows: &[usize], n_head: usize, seqlen: usize) -> Vec<Vec<f32>> {
    let inv = 1.0 / (n_head * rows.len()) as f32;
    cap.sums
        .iter()
        .map(|layer| {
            let mut s = vec![0f32; seqlen];
            for &r in rows {
                if let Some(row) = layer.get(r) {
                    s.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                }
            }
            s.iter_mut().for_each(|x| *x *= inv);
            s
        })
        .collect()
}

/// SpecAttn rounds: γ sparse drafts, one dense verify pass of γ+1 rows, greedy acceptance. The verify
/// pass rewrites the KV entries of every accepted position, so the output equals full greedy decoding.
fn speculative(
    model: &Model,
    cache: &mut KvCache,
    p: SpecAttnParams,
    prefill_capture: &ProbCapture,
    max_new_tokens: usize,
    opts: &mut GenerateOptions<'_>,
    report: &mut GenerateReport,
) -> Result<()> {
    let n_head = model.cfg.n_head;
    let mut draft = SpecDraft::new(p.clone(), &model.cfg);
    draft.set_selection(
        &spec_scores(prefill_capture, &[0], n_head, cache.len()),
        cache.len(),
    );
    let mut x = report.generated_ids[0];
    while report.generated_ids.len() < max_new_tokens && !opts.stop_tokens.contains(&x) {
        let base = cache.len();
        let gamma = p.gamma.min(max_new_tokens - report.generated_ids.len() - 1);
        let mut chunk = vec![x];
        for _ in 0..gamma {
            let dense = model.dense_kv_entries(cache.len() + 1);
            let out = model.decode(cache, *chunk.last().unwrap_or(&x), &mut draft)?;
            report.kv_read_per_step.push(out.kv_read);
            report.kv_dense_per_step.push(dense);
            chunk.push(argmax(&out.logits));
        }
        cache.truncate(base);
        let mut cap = ProbCapture::new((0..chunk.len()).collect());
        let logits = model.forward_chunk(cache, &chunk, LogitRows::All, Some(&mut cap))?;
        let dense: u64 = (0..chunk.len())
            .map(|r| model.dense_kv_entries(base + r + 1))
            .sum();
        report.kv_read_per_step.push(dense);
        report.kv_dense_per_step.push(dense);
        // rows 0..j-1 confirmed drafts 1..j; row j gives the bonus token
        let mut j = 0;
        let mut accepted = 0;
        loop {
            let row = logits.row(j).to_vec();
            let tok = argmax(&row);
            report.top5.push(top5(&row));
            report.generated_ids.push(tok);
            accepted += 1;
            x = tok;
            let matches = j < gamma && tok == chunk[j + 1];
            if !matches || opts.stop_tokens.contains(&tok) {
                break;
            }
            j += 1;
        }
        report.acceptance.push(accepted);
        cache.truncate(base + j + 1);
        let rows: Vec<usize> = if j == 0 { vec![0] } else { vec![0, j] };
        let seqlen = cache.len();
        draft.set_selection(&spec_scores(&cap, &rows, n_head, seqlen), seqlen);
        notify(opts, report, max_new_tokens);
    }
    Ok(())
}
