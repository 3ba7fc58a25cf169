//! Typed model hyper-parameters read from the `{arch}.*` metadata keys.

use crate::error::{GgufError, Result};
use crate::file::GgufFile;

/// Architectures [`ArchParams::from_gguf`] understands.
pub const SUPPORTED_ARCHS: [&str; 2] = ["llama", "qwen3"];

/// RoPE context-extension parameters from `{arch}.rope.scaling.*`.
///
/// Note: llama.cpp's converter does not store llama3-style scaling as keys; it
/// bakes it into a `rope_freqs.weight` tensor of per-frequency divisors (see
/// [`ArchParams::has_rope_freqs`]). `low_freq_factor` / `high_freq_factor` are
/// read only if some writer stored them as `{arch}.rope.scaling.*` keys.
#[derive(Debug, Clone, PartialEq)]
pub struct RopeScaling {
    /// `{arch}.rope.scaling.type`, e.g. `"linear"`, `"yarn"`, `"llama3"`.
    pub kind: String,
    /// `{arch}.rope.scaling.factor` (1.0 if absent).
    pub factor: f32,
    pub original_context_length: Option<usize>,
    pub low_freq_factor: Option<f32>,
    pub high_freq_factor: Option<f32>,
}

/// The hyper-parameters a llama-family decoder needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchParams {
    /// `general.architecture`: `"llama"` or `"qwen3"`.
    pub arch: String,
    /// `{arch}.block_count`.
    pub n_layer: usize,
    /// `{arch}.embedding_length` (hidden size).
    pub n_embd: usize,
    /// `{arch}.attention.head_count`.
    pub n_head: usize,
    /// `{arch}.attention.head_count_kv` (defaults to `n_head`).
    pub n_head_kv: usize,
    /// `{arch}.attention.key_length`, else `n_embd / n_head` (qwen3 sets it
    /// independently of `n_embd`).
    pub head_dim: usize,
    /// `{arch}.feed_forward_length`.
    pub n_ff: usize,
    /// `{arch}.vocab_size`, else the length of `tokenizer.ggml.tokens`.
    pub vocab: usize,
    /// `{arch}.context_length` (training context).
    pub context_length: usize,
    /// `{arch}.rope.freq_base` (defaults to 10000).
    pub rope_freq_base: f32,
    /// `{arch}.rope.dimension_count` (defaults to `head_dim`).
    pub rope_dim: usize,
    /// `{arch}.attention.layer_norm_rms_epsilon`.
    pub rms_eps: f32,
    /// Present when `{arch}.rope.scaling.type` is set and not `"none"`.
    pub rope_scaling: Option<RopeScaling>,
    /// Whether a `rope_freqs.weight` tensor is present (llama.cpp's encoding
    /// of llama3 rope scaling: divide each rotation frequency by its entry).
    pub has_rope_freqs: bool,
    /// True when there is no `output.weight`: the LM head reuses
    /// `token_embd.weight`.
    pub tied_embeddings: bool,
    /// True for `llama`: the Q/K weights are stored row-permuted by llama.cpp's
    /// converter and need [`crate::unpermute_qk_rows`] before use with
    /// rotate-half RoPE. False for `qwen3` (stored in HF order).
    pub qk_rows_permuted: bool,
}

impl ArchParams {
    /// Reads the parameters of a `llama` or `qwen3` file. Other architectures
    /// are [`GgufError::UnsupportedArch`]; a missing or mistyped required key
    /// is an error naming that key.
    pub fn from_gguf(f: &GgufFile) -> Result<Self> {
        let arch = f.get_str("general.architecture")?.to_string();
        if !SUPPORTED_ARCHS.contains(&arch.as_str()) {
            return Err(GgufError::UnsupportedArch { arch });
        }
        let key = |k: &str| format!("{arch}.{k}");
        let opt_usize = |k: &str| -> Result<Option<usize>> {
            let k = key(k);
            if f.get(&k).is_some() {
                f.get_usize(&k).map(Some)
            } else {
                Ok(None)
            }
        };
        let opt_f32 = |k: &str| -> Result<Option<f32>> {
            let k = key(k);
            if f.get(&k).is_some() {
                f.get_f32(&k).map(Some)
            } else {
                Ok(None)
            }
        };
        let invalid = |k: &str, reason: String| GgufError::BadMetadata {
            key: key(k),
            offset: 0,
            reason,
        };

        let n_embd = f.get_usize(&key("embedding_length"))?;
        let n_head = f.get_usize(&key("attention.head_count"))?;
        if n_head == 0 {
            return Err(invalid("attention.head_count", "is 0".into()));
        }
        let n_head_kv = opt_usize("attention.head_count_kv")?.unwrap_or(n_head);
        if n_head_kv == 0 || n_head % n_head_kv != 0 {
            return Err(invalid(
                "attention.head_count_kv",
                format!("{n_head_kv} does not divide head_count {n_head}"),
            ));
        }
        let head_dim = match opt_usize("attention.key_length")? {
            Some(d) => d,
            None if n_embd % n_head == 0 => n_embd / n_head,
            None => {
                return Err(invalid(
                    "embedding_length",
                    format!("{n_embd} is not a multiple of head_count {n_head}"),
                ))
            }
        };
        let vocab = match opt_usize("vocab_size")? {
            Some(v) => v,
            None => f.get_str_array("tokenizer.ggml.tokens")?.len(),
        };
        let rope_scaling = match f.get(&key("rope.scaling.type")) {
            None => None,
            Some(_) => {
                let kind = f.get_str(&key("rope.scaling.type"))?.to_string();
                if kind == "none" {
                    None
                } else {
                    Some(RopeScaling {
                        kind,
                        factor: opt_f32("rope.scaling.factor")?.unwrap_or(1.0),
                        original_context_length: opt_usize("rope.scaling.original_context_length")?,
                        low_freq_factor: opt_f32("rope.scaling.low_freq_factor")?,
                        high_freq_factor: opt_f32("rope.scaling.high_freq_factor")?,
                    })
                }
            }
        };

        Ok(ArchParams {
            n_layer: f.get_usize(&key("block_count"))?,
            n_embd,
            n_head,
            n_head_kv,
            head_dim,
            n_ff: f.get_usize(&key("feed_forward_length"))?,
            vocab,
            context_length: f.get_usize(&key("context_length"))?,
            rope_freq_base: opt_f32("rope.freq_base")?.unwrap_or(10_000.0),
            rope_dim: opt_usize("rope.dimension_count")?.unwrap_or(head_dim),
            rms_eps: f.get_f32(&key("attention.layer_norm_rms_epsilon"))?,
            rope_scaling,
            has_rope_freqs: f.has_tensor("rope_freqs.weight"),
            tied_embeddings: !f.has_tensor("output.weight"),
            qk_rows_permuted: arch == "llama",
            arch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ggml_type::GgmlType;
    use crate::meta::MetaValue;
    use crate::test_writer::{f32_bytes, write_gguf, TestTensor};

    fn qwen3_meta() -> Vec<(&'static str, MetaValue)> {
        vec![
            ("general.architecture", MetaValue::String("qwen3".into())),
            ("qwen3.block_count", MetaValue::U32(28)),
            ("qwen3.embedding_length", MetaValue::U32(1024)),
            ("qwen3.attention.head_count", MetaValue::U32(16)),
            ("qwen3.attention.head_count_kv", MetaValue::U32(8)),
            ("qwen3.attention.key_length", MetaValue::U32(128)),
            ("qwen3.feed_forward_length", MetaValue::U32(3072)),
            ("qwen3.vocab_size", MetaValue::U32(151936)),
            ("qwen3.context_length", MetaValue::U32(40960)),
            ("qwen3.rope.freq_base", MetaValue::F32(1e6)),
            (
                "qwen3.attention.layer_norm_rms_epsilon",
                MetaValue::F32(1e-6),
            ),
            (
                "qwen3.rope.scaling.type",
                MetaValue::String("llama3".into()),
            ),
            ("qwen3.rope.scaling.factor", MetaValue::F32(8.0)),
            (
                "qwen3.rope.scaling.original_context_length",
                MetaValue::U32(8192),
            ),
        ]
    }

    fn output_tensor() -> TestTensor {
        TestTensor {
            name: "output.weight".into(),
            dims: vec![1],
            ggml_type: GgmlType::F32,
            bytes: f32_bytes(&[0.0]),
        }
    }

    #[test]
    fn reads_qwen3_params() {
        let f = GgufFile::from_bytes(write_gguf(&qwen3_meta(), &[output_tensor()])).unwrap();
        let p = ArchParams::from_gguf(&f).unwrap();
        assert_eq!(p.arch, "qwen3");
        assert_eq!(
            (p.n_layer, p.n_embd, p.n_head, p.n_head_kv),
            (28, 1024, 16, 8)
        );
        assert_eq!(
            (p.head_dim, p.rope_dim, p.n_ff, p.vocab),
            (128, 128, 3072, 151936)
        );
        assert_eq!(p.rope_freq_base, 1e6);
        assert!(!p.tied_embeddings && !p.qk_rows_permuted && !p.has_rope_freqs);
        let s = p.rope_scaling.unwrap();
        assert_eq!((s.kind.as_str(), s.factor), ("llama3", 8.0));
        assert_eq!(s.original_context_length, Some(8192));
        assert_eq!(s.low_freq_factor, None);
    }

    #[test]
    fn missing_key_is_named() {
        let meta: Vec<_> = qwen3_meta()
            .into_iter()
            .filter(|(k, _)| *k != "qwen3.feed_forward_length")
            .collect();
        let f = GgufFile::from_bytes(write_gguf(&meta, &[])).unwrap();
        let e = ArchParams::from_gguf(&f).unwrap_err().to_string();
        assert!(e.contains("qwen3.feed_forward_length"), "{e}");
    }

    #[test]
    fn other_arch_is_rejected_by_name() {
        let meta = vec![("general.architecture", MetaValue::String("mamba".into()))];
        let f = GgufFile::from_bytes(write_gguf(&meta, &[])).unwrap();
        let e = ArchParams::from_gguf(&f).unwrap_err();
        assert!(matches!(e, GgufError::UnsupportedArch { ref arch } if arch == "mamba"));
    }
}
