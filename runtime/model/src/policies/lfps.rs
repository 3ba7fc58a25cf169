//! LFPS-style sparse indexing from history (a guess at the design; the paper's code is not public).
//!
//! Per (layer, KV head) the previous step's top-k positions are kept. Candidates at the next step are
//! each kept position p (*vertical*) and p + 1 (*slash*: a fixed distance to the moving current token),
//! each widened by ±w, plus the current token. The exact top `budget` by the group-mean query's logits
//! `q̄ · k` among candidates only is read and remembered. Every `refresh` steps (and on the first step)
//! the top-k is taken over the whole context instead. Recall — |picked ∩ exact top-k| / k, with the exact
//! top-k over all keys — is reported per step (mean over sparse heads). The first `dense_layers` layers
//! (default 1) stay dense.

use super::{AttentionPolicy, HeadCtx, KeyValues, PolicyStepStats};
use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::Result;
use crate::select::{top_k_of, top_k_sorted};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LfpsParams {
    /// k: positions read per KV head (default 4096).
    pub budget: usize,
    /// Positional widening ±w around each history position (default 2).
    pub w: usize,
    /// Exact full top-k every R steps (default 16).
    pub refresh: usize,
    /// Leading dense layers (default 1).
    pub dense_layers: usize,
}

impl LfpsParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["budget", "w", "refresh", "dense_layers"])?;
        Ok(Self {
            budget: kv.usize("budget", 4096, 1)?,
            w: kv.usize("w", 2, 0)?,
            refresh: kv.usize("refresh", 16, 1)?,
            dense_layers: kv.usize("dense_layers", 1, 0)?,
        })
    }
}

pub struct Lfps {
    p: LfpsParams,
    n_kv: usize,
    /// `[layer * n_kv + kv_head]`: last step's picks, ascending.
    history: Vec<Vec<usize>>,
    step: usize,
    recall_sum: f64,
    recall_n: usize,
}

impl Lfps {
    pub fn new(p: LfpsParams, cfg: &ModelConfig) -> Result<Self> {
        Ok(Self {
            p,
            n_kv: cfg.n_kv_head,
            history: vec![Vec::new(); cfg.n_layer * cfg.n_kv_head],
            step: 0,
            recall_sum: 0.0,
            recall_n: 0,
        })
    }

    fn candidates(&self, hist: &[usize], ctx_len: usize) -> Vec<usize> {
        let mut mark = vec![false; ctx_len];
        for &p in hist {
            let lo = p.saturating_sub(self.p.w);
            let hi = (p + 1 + self.p.w + 1).min(ctx_len);
            if lo < hi {
                mark[lo..hi].iter_mut().for_each(|m| *m = true);
            }
        }
        if let Some(last) = mark.last_mut() {
            *last = true;
        }
        mark.iter()
            .enumerate()
            .filter(|(_, &m)| m)
            .map(|(i, _)| i)
            .collect()
    }
}

impl AttentionPolicy for Lfps {
    fn name(&self) -> &'static str {
        "lfps"
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        if h.layer < self.p.dense_layers {
            return Ok(Selection::Dense);
        }
        let slot = h.layer * self.n_kv + h.kv_head;
        let k = self.p.budget;
        if k >= h.ctx_len {
            self.history[slot] = (0..h.ctx_len).collect();
            self.recall_sum += 1.0;
            self.recall_n += 1;
            return Ok(Selection::Dense);
        }
        let all = h.mean_query_scores();
        let exact = top_k_sorted(&all, k);
        let refresh = self.step % self.p.refresh == 0 || self.history[slot].is_empty();
        let picks = if refresh {
            exact.clone()
        } else {
            let mut cand = self.candidates(&self.history[slot], h.ctx_len);
            let scores = h.mean_query_scores_at(&cand);
            let mut p = top_k_of(&scores, &mut cand, k);
            p.sort_unstable();
            p
        };
        let hits = picks
            .iter()
            .filter(|p| exact.binary_search(p).is_ok())
            .count();
        self.recall_sum += hits as f64 / k as f64;
        self.recall_n += 1;
        self.history[slot] = picks.clone();
        Ok(Selection::from_sorted(picks, h.ctx_len))
    }

    fn end_step(&mut self) -> PolicyStepStats {
        self.step += 1;
        let recall = (self.recall_n > 0).then(|| self.recall_sum / self.recall_n as f64);
        self.recall_sum = 0.0;
        self.recall_n = 0;
        PolicyStepStats { recall }
    }
}
