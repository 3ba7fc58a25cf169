//! The decoder forward pass: embedding → per layer (RMSNorm → QKV → [q/k norm] → RoPE → KV append →
//! attention → O → residual → RMSNorm → SwiGLU MLP → residual) → final RMSNorm → LM head.
//!
//! One entry point serves a prefill chunk (T tokens, causal within the chunk, dense) and a decode step
//! (one token, positions chosen per (layer, KV head) by an [`AttentionPolicy`]).

use crate::attention::{attend, attend_selection, Selection};
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::kv_cache::KvCache;
use crate::ops::{
    jitter, linear, rmsnorm_inplace, rmsnorm_rows, rope_inplace, rope_inv_freq, round_bf16_all, swiglu_inplace,
};
use crate::policies::{AttentionPolicy, HeadCtx, PolicyStepStats};
use crate::synthetic::synthetic_weights;
use crate::weights::ModelWeights;
use ndarray::{s, Array2, ArrayView2, Axis};
use rayon::prelude::*;

pub struct Model {
    pub cfg: ModelConfig,
    pub weights: ModelWeights,
    inv_freq: Vec<f64>,
    scale: f32,
    /// Round q, k, v and the attention output to bf16 where the GPU decode loop stores them.
    bf16_activations: bool,
    /// Relative jitter applied to q/k/v and the attention output before their rounding (0: none).
    activation_jitter: f32,
}

/// Which rows of a chunk get logits (the LM head is the largest matrix: skip rows nobody needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogitRows {
    Last,
    All,
}

/// Collects, per layer, the softmax probabilities of chosen rows of a dense chunk, summed over all query
/// heads: `sums[layer][i][pos]` for row `rows[i]` of the chunk (speculative decoding's selection signal).
#[derive(Clone, Debug, Default)]
pub struct ProbCapture {
    pub rows: Vec<usize>,
    pub sums: Vec<Vec<Vec<f32>>>,
}

impl ProbCapture {
    pub fn new(rows: Vec<usize>) -> Self {
        Self {
            rows,
            sums: Vec::new(),
        }
    }
}

/// The result of one decode step.
#[derive(Clone, Debug)]
pub struct DecodeOutput {
    pub logits: Vec<f32>,
    /// KV entries read: Σ over layers and KV heads of positions attended (K and V row pairs).
    pub kv_read: u64,
    pub stats: PolicyStepStats,
}

enum Mode<'a> {
    Dense(Option<&'a mut ProbCapture>),
    Sparse(&'a mut dyn AttentionPolicy),
}

impl Model {
    pub fn new(cfg: ModelConfig, weights: ModelWeights) -> Result<Self> {
        weights.validate(&cfg)?;
        let mut inv_freq = rope_inv_freq(cfg.head_dim, cfg.rope_theta, cfg.rope_scaling.as_ref());
        if let Some(d) = &cfg.rope_freq_divisors {
            inv_freq
                .iter_mut()
                .zip(d)
                .for_each(|(f, d)| *f /= *d as f64);
        }
        let scale = (1.0 / (cfg.head_dim as f64).sqrt()) as f32;
        Ok(Self {
            cfg,
            weights,
            inv_freq,
            scale,
            bf16_activations: false,
            activation_jitter: 0.0,
        })
    }

    /// Rounds q, k and v after the projections, q and k again after RoPE, and the attention output
    /// to bf16, as the GPU decode loop stores them between its kernels; with
    /// [`KvCache::with_bf16_storage`] and bf16-rounded weights the reference then computes the
    /// GPU's model, in f32 arithmetic (`sdec check`). Everything else stays f32, as on the GPU
    /// (the residual stream, the normed inputs, the SwiGLU activations).
    pub fn with_bf16_activations(mut self) -> Self {
        self.bf16_activations = true;
        self
    }

    /// Jitters q/k/v and the attention output by a relative `eps` (see [`crate::ops::jitter`])
    /// before they are rounded: this model against the same one without jitter shows the floor of
    /// any comparison of two fp32 orders that round at the same points
    /// (`examples/rounding_floor.rs`).
    pub fn with_activation_jitter(mut self, eps: f32) -> Self {
        self.activation_jitter = eps;
        self
    }

    /// A model with [`crate::synthetic`] weights.
    pub fn synthetic(cfg: ModelConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let w = synthetic_weights(&cfg, seed);
        Self::new(cfg, w)
    }

    pub fn new_cache(&self, capacity: usize) -> Result<KvCache> {
        KvCache::new(&self.cfg, capacity)
    }

    /// Dense forward of `tokens` at positions `cache.len()..`, causal within the chunk; appends to the
    /// cache. Returns logits `[rows, vocab]`.
    pub fn forward_chunk(
        &self,
        cache: &mut KvCache,
        tokens: &[u32],
        rows: LogitRows,
        capture: Option<&mut ProbCapture>,
    ) -> Result<Array2<f32>> {
        let (x, _) = self.forward(cache, tokens, Mode::Dense(capture))?;
        let x = match rows {
            LogitRows::All => x.view(),
            LogitRows::Last => x.slice(s![x.nrows() - 1.., ..]),
        };
        Ok(self.logits(x))
    }

    /// Prefill in chunks of `chunk` tokens (0 = one chunk); logits of the last token.
    pub fn prefill(&self, cache: &mut KvCache, tokens: &[u32], chunk: usize) -> Result<Vec<f32>> {
        if tokens.is_empty() {
            return Err(ModelError::Empty("prefill needs at least one token".into()));
        }
        let chunk = if chunk == 0 { tokens.len() } else { chunk };
        cache.check_room(tokens.len())?;
        let mut last = Array2::zeros((0, 0));
        for c in tokens.chunks(chunk) {
            last = self.forward_chunk(cache, c, LogitRows::Last, None)?;
        }
        Ok(last.row(0).to_vec())
    }

    /// One decode step of `token` at position `cache.len()` under `policy`.
    pub fn decode(
        &self,
        cache: &mut KvCache,
        token: u32,
        policy: &mut dyn AttentionPolicy,
    ) -> Result<DecodeOutput> {
        policy.begin_step(cache.len() + 1);
        let (x, kv_read) = self.forward(cache, &[token], Mode::Sparse(policy))?;
        let stats = policy.end_step();
        Ok(DecodeOutput {
            logits: self.logits(x.view()).row(0).to_vec(),
            kv_read,
            stats,
        })
    }

    /// The softmax scale of attention logits, 1/√head_dim.
    pub fn attention_scale(&self) -> f32 {
        self.scale
    }

    /// KV entries a dense step reads at context length `ctx_len`.
    pub fn dense_kv_entries(&self, ctx_len: usize) -> u64 {
        (self.cfg.n_layer * self.cfg.n_kv_head * ctx_len) as u64
    }

    fn logits(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let xn = rmsnorm_rows(
            x,
            self.weights.final_norm.as_slice().unwrap_or(&[]),
            self.cfg.rms_eps,
        );
        linear(xn.view(), self.weights.lm_head().view())
    }

    /// Runs all layers; returns the final hidden states `[T, hidden]` (before the final norm) and the KV
    /// entries read.
    fn forward(
        &self,
        cache: &mut KvCache,
        tokens: &[u32],
        mut mode: Mode<'_>,
    ) -> Result<(Array2<f32>, u64)> {
        let cfg = &self.cfg;
        let t = tokens.len();
        if t == 0 {
            return Err(ModelError::Empty("forward needs at least one token".into()));
        }
        cache.check_room(t)?;
        let pos0 = cache.len();
        if pos0 + t > cfg.max_context {
            return Err(ModelError::ContextTooLong {
                need: pos0 + t,
                max: cfg.max_context,
            });
        }
        if let Some(&id) = tokens.iter().find(|&&id| id as usize >= cfg.vocab) {
            return Err(ModelError::TokenOutOfRange {
                id,
                vocab: cfg.vocab,
            });
        }
        if matches!(mode, Mode::Sparse(_)) && t != 1 {
            return Err(ModelError::Config(
                "sparse attention policies run one token at a time".into(),
            ));
        }
        if let Mode::Dense(Some(cap)) = &mut mode {
            cap.rows.retain(|&r| r < t);
            cap.sums = vec![Vec::new(); cfg.n_layer];
        }
        let mut x = Array2::zeros((t, cfg.hidden));
        for (mut row, &id) in x.rows_mut().into_iter().zip(tokens) {
            row.assign(&self.weights.embedding.row(id as usize));
        }
        let (hd, eps) = (cfg.head_dim, cfg.rms_eps);
        let mut kv_read = 0u64;
        for (l, w) in self.weights.layers.iter().enumerate() {
            let xn = rmsnorm_rows(x.view(), w.attn_norm.as_slice().unwrap_or(&[]), eps);
            let mut q = linear(xn.view(), w.wq.view());
            let mut k = linear(xn.view(), w.wk.view());
            let mut v = linear(xn.view(), w.wv.view());
            if self.activation_jitter > 0.0 {
                jitter(q.iter_mut().chain(k.iter_mut()).chain(v.iter_mut()), self.activation_jitter, (l * 7919 + pos0) as u64);
            }
            if self.bf16_activations {
                round_bf16_all(q.iter_mut().chain(k.iter_mut()).chain(v.iter_mut()));
            }
            for r in 0..t {
                let (mut qr, mut kr) = (q.row_mut(r), k.row_mut(r));
                let (qs, ks) = match (qr.as_slice_mut(), kr.as_slice_mut()) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return Err(ModelError::Config("non-contiguous activations".into())),
                };
                for head in qs.chunks_exact_mut(hd) {
                    if let Some(n) = &w.q_norm {
                        rmsnorm_inplace(head, n.as_slice().unwrap_or(&[]), eps);
                    }
                    rope_inplace(head, pos0 + r, &self.inv_freq);
                }
                for head in ks.chunks_exact_mut(hd) {
                    if let Some(n) = &w.k_norm {
                        rmsnorm_inplace(head, n.as_slice().unwrap_or(&[]), eps);
                    }
                    rope_inplace(head, pos0 + r, &self.inv_freq);
                }
                if self.bf16_activations {
                    round_bf16_all(qs.iter_mut().chain(ks.iter_mut()));
                }
                let vr = v.row(r);
                cache.write(l, pos0 + r, ks, vr.as_slice().unwrap_or(&[]));
            }
            let mut attn = match &mut mode {
                Mode::Dense(capture) => {
                    self.dense_attention(cache, l, &q, pos0, capture.as_deref_mut())
                }
                Mode::Sparse(policy) => {
                    let (out, read) = self.sparse_attention(cache, l, &q, pos0, &mut **policy)?;
                    kv_read += read;
                    out
                }
            };
            if self.activation_jitter > 0.0 {
                jitter(attn.iter_mut(), self.activation_jitter, (l * 104_729 + pos0 + 1) as u64);
            }
            if self.bf16_activations {
                round_bf16_all(attn.iter_mut());
            }
            x += &linear(attn.view(), w.wo.view());
            let hn = rmsnorm_rows(x.view(), w.ffn_norm.as_slice().unwrap_or(&[]), eps);
            let mut g = linear(hn.view(), w.w_gate.view());
            let u = linear(hn.view(), w.w_up.view());
            for (gr, ur) in g.axis_iter_mut(Axis(0)).zip(u.axis_iter(Axis(0))) {
                swiglu_inplace(gr, ur.as_slice().unwrap_or(&[]));
            }
            x += &linear(g.view(), w.w_down.view());
        }
        cache.commit(t);
        if matches!(mode, Mode::Dense(_)) {
            kv_read = (0..t).map(|r| self.dense_kv_entries(pos0 + r + 1)).sum();
        }
        Ok((x, kv_read))
    }

    /// Causal dense attention of a chunk: every query head in parallel, rows in order.
    fn dense_attention(
        &self,
        cache: &KvCache,
        l: usize,
        q: &Array2<f32>,
        pos0: usize,
        capture: Option<&mut ProbCapture>,
    ) -> Array2<f32> {
        let cfg = &self.cfg;
        let (t, hd, group) = (q.nrows(), cfg.head_dim, cfg.group_size());
        let n = pos0 + t;
        let cap_rows: Vec<usize> = capture.as_ref().map(|c| c.rows.clone()).unwrap_or_default();
        let per_head: Vec<(Vec<f32>, Vec<Vec<f32>>)> = (0..cfg.n_head)
            .into_par_iter()
            .map(|h| {
                let kvh = h / group;
                let (keys, vals) = (cache.key_slice(l, kvh, n), cache.value_slice(l, kvh, n));
                let mut out = vec![0f32; t * hd];
                let mut probs: Vec<Vec<f32>> = vec![vec![0f32; n]; cap_rows.len()];
                for r in 0..t {
                    let qh = &q.row(r).to_slice().unwrap_or(&[])[h * hd..(h + 1) * hd];
                    let pr = cap_rows
                        .iter()
                        .position(|&c| c == r)
                        .map(|i| probs[i].as_mut_slice());
                    let o = attend(qh, keys, vals, 0..pos0 + r + 1, self.scale, pr);
                    out[r * hd..(r + 1) * hd].copy_from_slice(&o);
                }
                (out, probs)
            })
            .collect();
        if let Some(cap) = capture {
            let mut sums = vec![vec![0f32; n]; cap_rows.len()];
            for (_, probs) in &per_head {
                for (s, p) in sums.iter_mut().zip(probs) {
                    s.iter_mut().zip(p).for_each(|(a, b)| *a += b);
                }
            }
            cap.sums[l] = sums;
        }
        assemble(
            &per_head.into_iter().map(|(o, _)| o).collect::<Vec<_>>(),
            t,
            hd,
        )
    }

    /// One-token attention where each KV head reads the positions its policy selects.
    fn sparse_attention(
        &self,
        cache: &KvCache,
        l: usize,
        q: &Array2<f32>,
        pos0: usize,
        policy: &mut dyn AttentionPolicy,
    ) -> Result<(Array2<f32>, u64)> {
        let cfg = &self.cfg;
        let (hd, group) = (cfg.head_dim, cfg.group_size());
        let ctx = pos0 + 1;
        let qrow = q.row(0);
        let qs = qrow.to_slice().unwrap_or(&[]);
        let mut sels = Vec::with_capacity(cfg.n_kv_head);
        let mut read = 0u64;
        for g in 0..cfg.n_kv_head {
            let queries =
                ArrayView2::from_shape((group, hd), &qs[g * group * hd..(g + 1) * group * hd])
                    .map_err(|e| ModelError::Config(e.to_string()))?;
            let h = HeadCtx {
                layer: l,
                kv_head: g,
                ctx_len: ctx,
                queries,
                keys: cache.keys(l, g, ctx),
            };
            let sel = policy.select(&h)?;
            if !sel.is_valid(ctx) {
                return Err(ModelError::Policy {
                    policy: policy.name().into(),
                    why: format!("layer {l} head {g}: selection not ascending/unique/in range"),
                });
            }
            read += sel.count(ctx) as u64;
            sels.push(sel);
        }
        let per_head: Vec<Vec<f32>> = (0..cfg.n_head)
            .into_par_iter()
            .map(|h| {
                let kvh = h / group;
                let sel: &Selection = &sels[kvh];
                attend_selection(
                    &qs[h * hd..(h + 1) * hd],
                    cache.key_slice(l, kvh, ctx),
                    cache.value_slice(l, kvh, ctx),
                    sel,
                    ctx,
                    self.scale,
                )
            })
            .collect();
        Ok((assemble(&per_head, 1, hd), read))
    }
}

/// Per-head outputs `[T * hd]` into `[T, n_head * hd]`.
fn assemble(per_head: &[Vec<f32>], t: usize, hd: usize) -> Array2<f32> {
    let nh = per_head.len();
    let mut out = Array2::zeros((t, nh * hd));
    for (h, o) in per_head.iter().enumerate() {
        for r in 0..t {
            for (dst, src) in out
                .slice_mut(s![r, h * hd..(h + 1) * hd])
                .iter_mut()
                .zip(&o[r * hd..(r + 1) * hd])
            {
                *dst = *src;
            }
        }
    }
    out
}
