//! TidalDecode-style position-persistent sparse attention.
//!
//! Layers before the first selection layer attend densely. A selection layer attends densely and picks,
//! per KV head, the top `budget` tokens by the group-mean query's logits `q̄ · k` (the GQA adaptation: one
//! pick per KV head, shared by its query heads). Every later layer reads the picks of the most recent
//! selection layer for the same head index. Default selection layers: 2 and ⌊13·n_layer/32⌋ (layers 2
//! and 13 on Llama-3-8B, as in the paper), clamped to the model's depth.

use super::{AttentionPolicy, HeadCtx, KeyValues};
use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::select::top_k_sorted;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TidalParams {
    /// Tokens picked per KV head (default 4096).
    pub budget: usize,
    /// Selection layers (`layers=2+13`); `None` = the default.
    pub layers: Option<Vec<usize>>,
}

impl TidalParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["budget", "layers"])?;
        Ok(Self {
            budget: kv.usize("budget", 4096, 1)?,
            layers: kv.usize_list("layers")?,
        })
    }

    /// The selection layers for a model of `n_layer` layers, ascending.
    pub fn selection_layers(&self, n_layer: usize) -> Vec<usize> {
        let mut l = match &self.layers {
            Some(l) => l.clone(),
            None => vec![2.min(n_layer.saturating_sub(1)), 13 * n_layer / 32],
        };
        l.sort_unstable();
        l.dedup();
        l
    }
}

pub struct Tidal {
    p: TidalParams,
    is_selection: Vec<bool>,
    first: usize,
    picks: Vec<Option<Vec<usize>>>,
}

impl Tidal {
    pub fn new(p: TidalParams, cfg: &ModelConfig) -> Result<Self> {
        let layers = p.selection_layers(cfg.n_layer);
        if let Some(&bad) = layers.iter().find(|&&l| l >= cfg.n_layer) {
            return Err(ModelError::Policy {
                policy: "tidal".into(),
                why: format!("selection layer {bad} >= n_layer {}", cfg.n_layer),
            });
        }
        let mut is_selection = vec![false; cfg.n_layer];
        layers.iter().for_each(|&l| is_selection[l] = true);
        Ok(Self {
            p,
            is_selection,
            first: layers[0],
            picks: vec![None; cfg.n_kv_head],
        })
    }
}

impl AttentionPolicy for Tidal {
    fn name(&self) -> &'static str {
        "tidal"
    }

    fn begin_step(&mut self, _ctx_len: usize) {
        self.picks.iter_mut().for_each(|p| *p = None);
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        if h.layer < self.first {
            return Ok(Selection::Dense);
        }
        if self.is_selection.get(h.layer).copied().unwrap_or(false) {
            let picks = top_k_sorted(&h.mean_query_scores(), self.p.budget);
            if let Some(row) = self.picks.get_mut(h.kv_head) {
                *row = Some(picks);
            }
            return Ok(Selection::Dense);
        }
        match self.picks.get(h.kv_head).and_then(|p| p.as_ref()) {
            Some(p) => Ok(Selection::from_sorted(p.clone(), h.ctx_len)),
            None => Ok(Selection::Dense),
        }
    }
}
