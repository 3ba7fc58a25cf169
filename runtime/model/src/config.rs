//! Model hyperparameters (the shape of a Llama-family or Qwen3 decoder) and the synthetic presets.

use crate::error::{ModelError, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Llama,
    Qwen3,
}

/// Llama 3.1 "llama3" RoPE scaling: low frequencies are divided by `factor`, high ones are kept, and the
/// band between is interpolated (see `ops::rope_inv_freq`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RopeScaling {
    pub factor: f64,
    pub low_freq_factor: f64,
    pub high_freq_factor: f64,
    pub original_context: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub arch: Arch,
    pub n_layer: usize,
    pub hidden: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_context: usize,
    pub rope_theta: f64,
    #[serde(default)]
    pub rope_scaling: Option<RopeScaling>,
    pub rms_eps: f32,
    pub tied_embeddings: bool,
    /// Qwen3: RMSNorm over head_dim on every query and key head before RoPE.
    #[serde(default)]
    pub qk_norm: bool,
    /// Per-frequency divisors of the RoPE inverse frequencies (`head_dim / 2` values): llama.cpp's
    /// `rope_freqs.weight`, its encoding of llama3 scaling. Applied after `rope_scaling`, if both are set.
    #[serde(default)]
    pub rope_freq_divisors: Option<Vec<f32>>,
}

/// Names accepted by [`ModelConfig::preset`].
pub const PRESETS: [&str; 4] = [
    "synthetic:tiny",
    "synthetic:tiny-qwen3",
    "synthetic:llama-3.1-8b",
    "synthetic:qwen3-8b",
];

impl ModelConfig {
    /// Query heads that share one KV head.
    pub fn group_size(&self) -> usize {
        self.n_head / self.n_kv_head
    }

    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    pub fn kv_dim(&self) -> usize {
        self.n_kv_head * self.head_dim
    }

    /// Checks the relations the forward pass relies on.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(ModelError::Config(m));
        for (name, v) in [
            ("n_layer", self.n_layer),
            ("hidden", self.hidden),
            ("n_head", self.n_head),
            ("n_kv_head", self.n_kv_head),
            ("head_dim", self.head_dim),
            ("ffn", self.ffn),
            ("vocab", self.vocab),
            ("max_context", self.max_context),
        ] {
            if v == 0 {
                return bad(format!("{name} must be > 0"));
            }
        }
        if self.n_head % self.n_kv_head != 0 {
            return bad(format!(
                "n_head {} is not a multiple of n_kv_head {}",
                self.n_head, self.n_kv_head
            ));
        }
        if self.head_dim % 2 != 0 {
            return bad(format!("head_dim {} must be even for RoPE", self.head_dim));
        }
        if self.rope_theta.is_nan()
            || self.rope_theta <= 0.0
            || self.rms_eps.is_nan()
            || self.rms_eps < 0.0
        {
            return bad("rope_theta must be > 0 and rms_eps >= 0".into());
        }
        if let Some(d) = &self.rope_freq_divisors {
            if d.len() != self.head_dim / 2 || d.iter().any(|x| x.is_nan() || *x <= 0.0) {
                return bad(format!(
                    "rope_freq_divisors: need {} positive values, got {}",
                    self.head_dim / 2,
                    d.len()
                ));
            }
        }
        if let Some(s) = &self.rope_scaling {
            if s.factor.is_nan()
                || s.factor <= 0.0
                || s.high_freq_factor.is_nan()
                || s.high_freq_factor <= s.low_freq_factor
                || s.original_context == 0
            {
                return bad(format!("bad llama3 rope scaling {s:?}"));
            }
        }
        Ok(())
    }

    /// A built-in shape: `synthetic:tiny`, `synthetic:tiny-qwen3`, `synthetic:llama-3.1-8b` or
    /// `synthetic:qwen3-8b`.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "synthetic:tiny" => Ok(Self::tiny()),
            "synthetic:tiny-qwen3" => Ok(Self::tiny_qwen3()),
            "synthetic:llama-3.1-8b" => Ok(Self::llama31_8b()),
            "synthetic:qwen3-8b" => Ok(Self::qwen3_8b()),
            _ => Err(ModelError::UnknownPreset(name.into(), PRESETS.join(", "))),
        }
    }

    /// Small enough for unit tests (≈ 100K parameters), with GQA group 2 and llama3 rope scaling so
    /// that code path is exercised.
    pub fn tiny() -> Self {
        Self {
            arch: Arch::Llama,
            n_layer: 2,
            hidden: 64,
            n_head: 4,
            n_kv_head: 2,
            head_dim: 16,
            ffn: 128,
            vocab: 256,
            max_context: 4096,
            rope_theta: 10000.0,
            rope_scaling: Some(RopeScaling {
                factor: 8.0,
                low_freq_factor: 1.0,
                high_freq_factor: 4.0,
                original_context: 1024,
            }),
            rms_eps: 1e-5,
            tied_embeddings: false,
            qk_norm: false,
            rope_freq_divisors: None,
        }
    }

    pub fn llama31_8b() -> Self {
        Self {
            arch: Arch::Llama,
            n_layer: 32,
            hidden: 4096,
            n_head: 32,
            n_kv_head: 8,
            head_dim: 128,
            ffn: 14336,
            vocab: 128256,
            max_context: 131072,
            rope_theta: 500000.0,
            rope_scaling: Some(RopeScaling {
                factor: 8.0,
                low_freq_factor: 1.0,
                high_freq_factor: 4.0,
                original_context: 8192,
            }),
            rms_eps: 1e-5,
            tied_embeddings: false,
            qk_norm: false,
            rope_freq_divisors: None,
        }
    }

    /// [`ModelConfig::tiny`] with Qwen3's q/k norm (and its plain RoPE), for the tests of that path.
    pub fn tiny_qwen3() -> Self {
        Self { arch: Arch::Qwen3, qk_norm: true, rope_theta: 1_000_000.0, rope_scaling: None, rms_eps: 1e-6, ..Self::tiny() }
    }

    pub fn qwen3_8b() -> Self {
        Self {
            arch: Arch::Qwen3,
            n_layer: 36,
            hidden: 4096,
            n_head: 32,
            n_kv_head: 8,
            head_dim: 128,
            ffn: 12288,
            vocab: 151936,
            max_context: 131072,
            rope_theta: 1_000_000.0,
            rope_scaling: None,
            rms_eps: 1e-6,
            tied_embeddings: false,
            qk_norm: true,
            rope_freq_divisors: None,
        }
    }

    /// Parameter count (embedding and LM head included once each).
    pub fn n_params(&self) -> usize {
        let per_layer = 2 * self.hidden
            + self.hidden * (self.q_dim() + 2 * self.kv_dim())
            + self.q_dim() * self.hidden
            + 3 * self.hidden * self.ffn
            + if self.qk_norm { 2 * self.head_dim } else { 0 };
        let head = if self.tied_embeddings {
            0
        } else {
            self.vocab * self.hidden
        };
        self.vocab * self.hidden + self.n_layer * per_layer + self.hidden + head
    }
}
