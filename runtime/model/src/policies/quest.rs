//! Quest: query-aware page selection from per-page key bounds.
//!
//! Keys are grouped in pages of `page` tokens. For a query q, `Σ_d max(q_d·min_d, q_d·max_d)` bounds q·k
//! from above for every key of the page. The GQA adaptation: a page's score for a KV head is the maximum
//! of that bound over the group's query heads (a page matters if any head of the group may want it). The
//! top `max(1, budget / page)` pages are read, plus always the page holding the current token. The first
//! `dense_layers` layers (default 2, as in the paper) stay dense.

use super::{AttentionPolicy, HeadCtx, KeyValues};
use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::Result;
use crate::select::top_k;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestParams {
    /// Tokens read per KV head (default 4096).
    pub budget: usize,
    /// Page size (default 16).
    pub page: usize,
    /// Leading dense layers (default 2).
    pub dense_layers: usize,
}

impl QuestParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["budget", "page", "dense_layers"])?;
        Ok(Self {
            budget: kv.usize("budget", 4096, 1)?,
            page: kv.usize("page", 16, 1)?,
            dense_layers: kv.usize("dense_layers", 2, 0)?,
        })
    }
}

pub struct Quest {
    p: QuestParams,
}

impl Quest {
    pub fn new(p: QuestParams, _cfg: &ModelConfig) -> Result<Self> {
        Ok(Self { p })
    }

    /// Upper bounds per page, max over the group's query heads.
    pub fn page_scores(&self, h: &HeadCtx<'_>) -> Vec<f32> {
        let hd = h.keys.ncols();
        let n_pages = h.ctx_len.div_ceil(self.p.page);
        let mut scores = vec![f32::NEG_INFINITY; n_pages];
        for (pg, score) in scores.iter_mut().enumerate() {
            let lo = pg * self.p.page;
            let hi = (lo + self.p.page).min(h.ctx_len);
            let keys = h.keys.slice(ndarray::s![lo..hi, ..]);
            let mut mn = vec![f32::INFINITY; hd];
            let mut mx = vec![f32::NEG_INFINITY; hd];
            for row in keys.rows() {
                for (d, &k) in row.iter().enumerate() {
                    mn[d] = mn[d].min(k);
                    mx[d] = mx[d].max(k);
                }
            }
            for q in h.queries.rows() {
                let bound: f32 = q
                    .iter()
                    .enumerate()
                    .map(|(d, &qd)| (qd * mn[d]).max(qd * mx[d]))
                    .sum();
                *score = score.max(bound);
            }
        }
        scores
    }
}

impl AttentionPolicy for Quest {
    fn name(&self) -> &'static str {
        "quest"
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        if h.layer < self.p.dense_layers {
            return Ok(Selection::Dense);
        }
        let scores = self.page_scores(h);
        let mut pages = top_k(&scores, (self.p.budget / self.p.page).max(1));
        pages.push(scores.len().saturating_sub(1));
        pages.sort_unstable();
        pages.dedup();
        let pos: Vec<usize> = pages
            .iter()
            .flat_map(|&pg| pg * self.p.page..((pg + 1) * self.p.page).min(h.ctx_len))
            .collect();
        Ok(Selection::from_sorted(pos, h.ctx_len))
    }
}
