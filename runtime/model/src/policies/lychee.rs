//! LycheeDecode: hybrid retrieval / sparse heads sharing block indices down the layers.
//!
//! Every (layer, KV head) is a *retrieval* head or a *sparse* head; layer 0 is always retrieval.
//! - A retrieval head attends densely, then scores blocks of `block` tokens: the maximum over the block
//!   of `q̄ · k` (q̄ = its GQA group's mean query) over the whole context, and writes the top
//!   `max(1, budget / block)` blocks to row `kv_head` of the index buffer.
//! - A sparse head reads the row of its head index — written by the most recent retrieval layer for that
//!   index in this step (layer 0 writes every row, so a row always exists) — plus the first `sink` and
//!   last `recent` tokens.
//! - `correct=N` (N > 0) makes every N-th decode step fully dense (the paper's cache correction).
//!
//! Sink and recent are capped at budget/8 and budget/4, so a small budget is not swamped by the
//! always-kept tokens (at the default budget 4096 the caps do not bind).
//!
//! Default head map (no `heads=`): at layer l ≥ 1, KV head `l mod n_kv_head` is retrieval. That is
//! 1/n_kv_head of the heads (12.5% with 8 KV heads, near the paper's ≈ 9%), and every head index is
//! refreshed at least every n_kv_head layers instead of going stale after layer 0.
//!
//! Head map file (`heads=PATH`): `{"retrieval": [[layer, kv_head], ...]}`; all other heads of layers ≥ 1
//! are sparse.

use super::{AttentionPolicy, HeadCtx, KeyValues};
use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::select::top_k;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LycheeParams {
    /// Tokens selected through blocks (default 4096).
    pub budget: usize,
    /// Block size B (default 64).
    pub block: usize,
    /// Always-kept leading tokens (default 128, capped at budget/8).
    pub sink: usize,
    /// Always-kept trailing tokens (default 256, capped at budget/4).
    pub recent: usize,
    /// Head-map JSON path; `None` uses the default map.
    pub heads: Option<String>,
    /// Dense step every N decode steps; 0 = never (default).
    pub correct: usize,
}

impl LycheeParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["budget", "block", "sink", "recent", "heads", "correct"])?;
        Ok(Self {
            budget: kv.usize("budget", 4096, 1)?,
            block: kv.usize("block", 64, 1)?,
            sink: kv.usize("sink", 128, 0)?,
            recent: kv.usize("recent", 256, 0)?,
            heads: kv.get("heads").map(str::to_string),
            correct: kv.usize("correct", 0, 0)?,
        })
    }

    pub fn blocks(&self) -> usize {
        (self.budget / self.block).max(1)
    }
    pub fn effective_sink(&self) -> usize {
        self.sink.min(self.budget / 8)
    }
    pub fn effective_recent(&self) -> usize {
        self.recent.min(self.budget / 4)
    }

    /// The blocks a retrieval head writes to its index row: the top `blocks()` by max-pooled `q̄ · k`,
    /// ascending.
    pub fn pick_blocks(&self, h: &HeadCtx<'_>) -> Vec<usize> {
        let scores = block_max(&h.mean_query_scores(), self.block);
        let mut blocks = top_k(&scores, self.blocks());
        blocks.sort_unstable();
        blocks
    }

    /// Which of `ctx_len` positions a sparse head reads given its index row: sink, recent and the
    /// tokens of `blocks`.
    pub fn read_mask(&self, blocks: &[usize], ctx_len: usize) -> Vec<bool> {
        let mut keep = vec![false; ctx_len];
        keep[..self.effective_sink().min(ctx_len)]
            .iter_mut()
            .for_each(|k| *k = true);
        keep[ctx_len.saturating_sub(self.effective_recent())..]
            .iter_mut()
            .for_each(|k| *k = true);
        for &b in blocks {
            let lo = (b * self.block).min(ctx_len);
            let hi = ((b + 1) * self.block).min(ctx_len);
            keep[lo..hi].iter_mut().for_each(|k| *k = true);
        }
        keep
    }
}

/// Retrieval labels `[n_layer][n_kv_head]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadMap {
    pub retrieval: Vec<Vec<bool>>,
}

#[derive(Deserialize)]
struct HeadMapFile {
    retrieval: Vec<(usize, usize)>,
}

impl HeadMap {
    /// The documented default: layer 0 dense, then KV head `l mod n_kv_head` at layer l.
    pub fn default_for(cfg: &ModelConfig) -> Self {
        Self::default_of(cfg.n_layer, cfg.n_kv_head)
    }

    /// [`HeadMap::default_for`] by shape.
    pub fn default_of(n_layer: usize, n_kv_head: usize) -> Self {
        let retrieval = (0..n_layer)
            .map(|l| {
                (0..n_kv_head)
                    .map(|h| l == 0 || h == l % n_kv_head)
                    .collect()
            })
            .collect();
        Self { retrieval }
    }

    /// From `[[layer, kv_head], ...]` pairs; layer 0 is forced dense.
    pub fn from_pairs(cfg: &ModelConfig, pairs: &[(usize, usize)]) -> Result<Self> {
        let mut retrieval = vec![vec![false; cfg.n_kv_head]; cfg.n_layer];
        retrieval[0] = vec![true; cfg.n_kv_head];
        for &(l, h) in pairs {
            if l >= cfg.n_layer || h >= cfg.n_kv_head {
                return Err(ModelError::Policy {
                    policy: "lychee".into(),
                    why: format!(
                        "head map entry [{l}, {h}] outside {} layers x {} KV heads",
                        cfg.n_layer, cfg.n_kv_head
                    ),
                });
            }
            retrieval[l][h] = true;
        }
        Ok(Self { retrieval })
    }

    pub fn load(cfg: &ModelConfig, path: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.into(),
            source,
        })?;
        let file: HeadMapFile = serde_json::from_str(&text).map_err(|source| ModelError::Json {
            path: path.into(),
            source,
        })?;
        Self::from_pairs(cfg, &file.retrieval)
    }

    pub fn n_retrieval(&self) -> usize {
        self.retrieval.iter().flatten().filter(|&&r| r).count()
    }

    /// Every retrieval `(layer, kv_head)`, layer-major (layer 0 included).
    pub fn pairs(&self) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for (l, row) in self.retrieval.iter().enumerate() {
            for (h, &r) in row.iter().enumerate() {
                if r {
                    v.push((l, h));
                }
            }
        }
        v
    }

    /// Writes the file [`HeadMap::load`] reads: `{"retrieval": [[layer, kv_head], ...]}` with the pairs
    /// on one line, plus an optional `about` object saying how the map was made (ignored when loading).
    pub fn save(&self, path: &str, about: Option<&serde_json::Value>) -> Result<()> {
        let pairs: Vec<String> = self
            .pairs()
            .iter()
            .map(|(l, h)| format!("[{l}, {h}]"))
            .collect();
        let mut text = format!("{{\n  \"retrieval\": [{}]", pairs.join(", "));
        if let Some(about) = about {
            let about = serde_json::to_string_pretty(about).map_err(|source| ModelError::Json {
                path: path.into(),
                source,
            })?;
            text += &format!(",\n  \"about\": {}", about.replace('\n', "\n  "));
        }
        text += "\n}\n";
        std::fs::write(path, text).map_err(|source| ModelError::Io {
            path: path.into(),
            source,
        })
    }
}

/// Max-pool of per-token scores over blocks of `block` tokens (the last block may be partial): the
/// block score a retrieval head computes from `q̄ · k` during its dense pass.
pub fn block_max(scores: &[f32], block: usize) -> Vec<f32> {
    scores
        .chunks(block.max(1))
        .map(|b| b.iter().copied().fold(f32::NEG_INFINITY, f32::max))
        .collect()
}

pub struct Lychee {
    p: LycheeParams,
    map: HeadMap,
    /// Row per KV head index: selected block ids, ascending.
    index: Vec<Option<Vec<usize>>>,
    step: usize,
    dense_step: bool,
}

impl Lychee {
    pub fn new(p: LycheeParams, cfg: &ModelConfig) -> Result<Self> {
        let map = match &p.heads {
            Some(path) => HeadMap::load(cfg, path)?,
            None => HeadMap::default_for(cfg),
        };
        Ok(Self::with_map(p, map, cfg))
    }

    pub fn with_map(p: LycheeParams, mut map: HeadMap, cfg: &ModelConfig) -> Self {
        if let Some(first) = map.retrieval.first_mut() {
            first.iter_mut().for_each(|r| *r = true);
        }
        Self {
            p,
            map,
            index: vec![None; cfg.n_kv_head],
            step: 0,
            dense_step: false,
        }
    }

    fn sparse_positions(&self, blocks: &[usize], ctx_len: usize) -> Selection {
        let pos: Vec<usize> = self
            .p
            .read_mask(blocks, ctx_len)
            .iter()
            .enumerate()
            .filter(|(_, &k)| k)
            .map(|(i, _)| i)
            .collect();
        Selection::from_sorted(pos, ctx_len)
    }
}

impl AttentionPolicy for Lychee {
    fn name(&self) -> &'static str {
        "lychee"
    }

    fn begin_step(&mut self, _ctx_len: usize) {
        self.dense_step = self.p.correct > 0 && (self.step + 1) % self.p.correct == 0;
        self.index.iter_mut().for_each(|r| *r = None);
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        let retrieval = self
            .map
            .retrieval
            .get(h.layer)
            .and_then(|r| r.get(h.kv_head))
            .copied()
            .unwrap_or(true);
        if retrieval {
            let blocks = self.p.pick_blocks(h);
            if let Some(row) = self.index.get_mut(h.kv_head) {
                *row = Some(blocks);
            }
            return Ok(Selection::Dense);
        }
        if self.dense_step {
            return Ok(Selection::Dense);
        }
        match self.index.get(h.kv_head).and_then(|r| r.as_ref()) {
            Some(blocks) => Ok(self.sparse_positions(blocks, h.ctx_len)),
            None => Ok(Selection::Dense),
        }
    }

    fn end_step(&mut self) -> super::PolicyStepStats {
        self.step += 1;
        super::PolicyStepStats::default()
    }
}
