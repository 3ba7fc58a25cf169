//! The f32 weights of a decoder, in the row-major `[out, in]` layout of the matrices (`y = W x`).

use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::ops::round_bf16_all;
use ndarray::{Array1, Array2};

#[derive(Clone, Debug)]
pub struct LayerWeights {
    pub attn_norm: Array1<f32>,
    /// `[n_head * head_dim, hidden]`, rows in HF order (rotate-half RoPE applies directly).
    pub wq: Array2<f32>,
    /// `[n_kv_head * head_dim, hidden]`.
    pub wk: Array2<f32>,
    pub wv: Array2<f32>,
    /// `[hidden, n_head * head_dim]`.
    pub wo: Array2<f32>,
    /// Qwen3 only: `[head_dim]`, shared by all heads.
    pub q_norm: Option<Array1<f32>>,
    pub k_norm: Option<Array1<f32>>,
    pub ffn_norm: Array1<f32>,
    /// `[ffn, hidden]`.
    pub w_gate: Array2<f32>,
    pub w_up: Array2<f32>,
    /// `[hidden, ffn]`.
    pub w_down: Array2<f32>,
}

#[derive(Clone, Debug)]
pub struct ModelWeights {
    /// `[vocab, hidden]`.
    pub embedding: Array2<f32>,
    pub layers: Vec<LayerWeights>,
    pub final_norm: Array1<f32>,
    /// `[vocab, hidden]`; `None` when tied to the embedding.
    pub lm_head: Option<Array2<f32>>,
}

fn check(name: &str, got: &[usize], expected: &[usize]) -> Result<()> {
    if got != expected {
        return Err(ModelError::Shape {
            name: name.into(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        });
    }
    Ok(())
}

impl ModelWeights {
    /// Every weight rounded to bf16 (kept in f32): the weights as the GPU holds them, which the
    /// reference must use to be compared with the GPU on equal terms.
    pub fn round_to_bf16(&mut self) {
        round_bf16_all(self.embedding.iter_mut().chain(self.final_norm.iter_mut()));
        if let Some(head) = &mut self.lm_head {
            round_bf16_all(head.iter_mut());
        }
        for l in &mut self.layers {
            round_bf16_all(l.attn_norm.iter_mut().chain(l.ffn_norm.iter_mut()));
            for m in [&mut l.wq, &mut l.wk, &mut l.wv, &mut l.wo, &mut l.w_gate, &mut l.w_up, &mut l.w_down] {
                round_bf16_all(m.iter_mut());
            }
            for n in [&mut l.q_norm, &mut l.k_norm].into_iter().flatten() {
                round_bf16_all(n.iter_mut());
            }
        }
    }

    /// The LM head matrix, which is the embedding when tied.
    pub fn lm_head(&self) -> &Array2<f32> {
        self.lm_head.as_ref().unwrap_or(&self.embedding)
    }

    /// Every shape against the config, so the forward pass can index without checks.
    pub fn validate(&self, cfg: &ModelConfig) -> Result<()> {
        cfg.validate()?;
        let (h, q, kv, f, hd) = (cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.head_dim);
        check("embedding", self.embedding.shape(), &[cfg.vocab, h])?;
        check("final_norm", self.final_norm.shape(), &[h])?;
        match (&self.lm_head, cfg.tied_embeddings) {
            (Some(m), false) => check("lm_head", m.shape(), &[cfg.vocab, h])?,
            (None, true) => {}
            (Some(_), true) => {
                return Err(ModelError::Config(
                    "tied embeddings but an lm_head is present".into(),
                ))
            }
            (None, false) => {
                return Err(ModelError::Config(
                    "untied embeddings but no lm_head".into(),
                ))
            }
        }
        if self.layers.len() != cfg.n_layer {
            return Err(ModelError::Config(format!(
                "{} layers of weights, config says {}",
                self.layers.len(),
                cfg.n_layer
            )));
        }
        for (i, l) in self.layers.iter().enumerate() {
            let n = |s: &str| format!("layers.{i}.{s}");
            check(&n("attn_norm"), l.attn_norm.shape(), &[h])?;
            check(&n("wq"), l.wq.shape(), &[q, h])?;
            check(&n("wk"), l.wk.shape(), &[kv, h])?;
            check(&n("wv"), l.wv.shape(), &[kv, h])?;
            check(&n("wo"), l.wo.shape(), &[h, q])?;
            check(&n("ffn_norm"), l.ffn_norm.shape(), &[h])?;
            check(&n("w_gate"), l.w_gate.shape(), &[f, h])?;
            check(&n("w_up"), l.w_up.shape(), &[f, h])?;
            check(&n("w_down"), l.w_down.shape(), &[h, f])?;
            match (&l.q_norm, &l.k_norm, cfg.qk_norm) {
                (Some(a), Some(b), true) => {
                    check(&n("q_norm"), a.shape(), &[hd])?;
                    check(&n("k_norm"), b.shape(), &[hd])?;
                }
                (None, None, false) => {}
                _ => {
                    return Err(ModelError::Config(format!(
                        "layer {i}: q_norm/k_norm presence does not match qk_norm={}",
                        cfg.qk_norm
                    )))
                }
            }
        }
        Ok(())
    }
}
