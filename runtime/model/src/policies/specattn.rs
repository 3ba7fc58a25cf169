//! SpecAttn (Vegas): the draft side of self-speculative decoding.
//!
//! The decoding loop lives in [`crate::generate`]; this file holds its parameters and the draft policy.
//! After each verification the loop computes, per layer, the score of every position: the mean over all
//! query heads and over two verify rows (the first row of the verify chunk and the row that produced the
//! bonus token) of the softmax probability; the top `spec_budget(seqlen)` positions become that layer's
//! selection, shared by all KV heads ([`SpecDraft::set_selection`]). Draft steps read the selection plus
//! every position appended since it was made. Before the first verification the selection comes from the
//! last prefill row. With `draft=streaming` the drafts use sink + recent window instead (MagicDec-like
//! baseline), with the same budget.

use super::{sink_and_recent, AttentionPolicy, HeadCtx, KeyValues};
use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::Result;
use crate::select::top_k_sorted;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DraftMode {
    /// Entries chosen by the previous verification (the method).
    Verify,
    /// Sink + recent window (the baseline).
    Streaming,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecAttnParams {
    /// Draft tokens per round γ (default 6).
    pub gamma: usize,
    /// Budget as a fraction of the context (default 0.07).
    pub ratio: f64,
    /// Minimum budget in tokens (default 256).
    pub min: usize,
    pub draft: DraftMode,
    /// Sink tokens of streaming drafts (default 4).
    pub sink: usize,
}

impl SpecAttnParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["gamma", "ratio", "min", "draft", "sink"])?;
        let draft = match kv.get("draft") {
            None | Some("verify") => DraftMode::Verify,
            Some("streaming") => DraftMode::Streaming,
            Some(v) => return Err(kv.bad("draft", v, "expected `verify` or `streaming`")),
        };
        Ok(Self {
            gamma: kv.usize("gamma", 6, 0)?,
            ratio: kv.f64("ratio", 0.07, 0.0, 1.0)?,
            min: kv.usize("min", 256, 1)?,
            draft,
            sink: kv.usize("sink", 4, 0)?,
        })
    }
}

/// `k = clamp(ceil(ratio · seqlen), min, ceil(ratio · max_len))`, at most `seqlen`. Since seqlen ≤
/// max_len the upper clamp only matters when `min` exceeds it, where `min` wins.
pub fn spec_budget(p: &SpecAttnParams, seqlen: usize) -> usize {
    ((p.ratio * seqlen as f64).ceil() as usize)
        .max(p.min)
        .min(seqlen)
}

pub struct SpecDraft {
    p: SpecAttnParams,
    /// Per layer: selected positions (ascending), all `< sel_len`.
    selected: Vec<Vec<usize>>,
    sel_len: usize,
}

impl SpecDraft {
    pub fn new(p: SpecAttnParams, cfg: &ModelConfig) -> Self {
        Self {
            p,
            selected: vec![Vec::new(); cfg.n_layer],
            sel_len: 0,
        }
    }

    pub fn params(&self) -> &SpecAttnParams {
        &self.p
    }

    /// From per-layer scores over positions `0..seqlen` (`scores[layer][pos]`).
    pub fn set_selection(&mut self, scores: &[Vec<f32>], seqlen: usize) {
        let k = spec_budget(&self.p, seqlen);
        self.selected = scores
            .iter()
            .map(|s| top_k_sorted(&s[..seqlen.min(s.len())], k))
            .collect();
        self.sel_len = seqlen;
    }
}

impl AttentionPolicy for SpecDraft {
    fn name(&self) -> &'static str {
        "specattn"
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        let k = spec_budget(&self.p, h.ctx_len);
        if self.p.draft == DraftMode::Streaming || self.sel_len == 0 {
            return Ok(sink_and_recent(
                self.p.sink.min(k),
                k.saturating_sub(self.p.sink.min(k)).max(1),
                h.ctx_len,
            ));
        }
        let sel = self.selected.get(h.layer).map(Vec::as_slice).unwrap_or(&[]);
        let pos: Vec<usize> = sel
            .iter()
            .copied()
            .filter(|&p| p < h.ctx_len)
            .chain(self.sel_len.min(h.ctx_len)..h.ctx_len)
            .collect();
        Ok(Selection::from_sorted(pos, h.ctx_len))
    }
}
