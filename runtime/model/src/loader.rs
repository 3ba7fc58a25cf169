//! Loading a llama / qwen3 GGUF file into the reference model: dequantized f32 weights, Q/K rows put back
//! in HF order (so rotate-half RoPE applies), tied embeddings, and the file's tokenizer.

use crate::config::{Arch, ModelConfig, RopeScaling};
use crate::error::{ModelError, Result};
use crate::weights::{LayerWeights, ModelWeights};
use ndarray::{Array1, Array2};
use sdec_gguf::{unpermute_qk_rows, ArchParams, GgufFile, Tensor, Tokenizer};
use std::path::{Path, PathBuf};

/// The config a GGUF file describes. Unsupported RoPE variants are errors, not silent approximations.
pub fn config_from_gguf(file: &GgufFile) -> Result<ModelConfig> {
    let p = ArchParams::from_gguf(file)?;
    let arch = match p.arch.as_str() {
        "llama" => Arch::Llama,
        "qwen3" => Arch::Qwen3,
        other => {
            return Err(ModelError::Load(format!(
                "unsupported architecture {other}"
            )))
        }
    };
    if p.rope_dim != p.head_dim {
        return Err(ModelError::Load(format!(
            "partial RoPE (rope dim {} of head dim {}) is not supported",
            p.rope_dim, p.head_dim
        )));
    }
    let rope_scaling = match &p.rope_scaling {
        None => None,
        Some(s) if s.kind == "llama3" => match (
            s.low_freq_factor,
            s.high_freq_factor,
            s.original_context_length,
        ) {
            (Some(lo), Some(hi), Some(orig)) => Some(RopeScaling {
                factor: s.factor as f64,
                low_freq_factor: lo as f64,
                high_freq_factor: hi as f64,
                original_context: orig,
            }),
            // llama.cpp stores llama3 scaling as rope_freqs.weight instead (read below)
            _ if p.has_rope_freqs => None,
            _ => {
                return Err(ModelError::Load(
                    "llama3 rope scaling without its parameters or rope_freqs.weight".into(),
                ))
            }
        },
        Some(s) => {
            return Err(ModelError::Load(format!(
                "rope scaling `{}` is not supported",
                s.kind
            )))
        }
    };
    let rope_freq_divisors = if p.has_rope_freqs {
        Some(file.tensor_f32("rope_freqs.weight")?.data)
    } else {
        None
    };
    let cfg = ModelConfig {
        arch,
        n_layer: p.n_layer,
        hidden: p.n_embd,
        n_head: p.n_head,
        n_kv_head: p.n_head_kv,
        head_dim: p.head_dim,
        ffn: p.n_ff,
        vocab: p.vocab,
        max_context: p.context_length,
        rope_theta: p.rope_freq_base as f64,
        rope_scaling,
        rms_eps: p.rms_eps,
        tied_embeddings: p.tied_embeddings,
        qk_norm: arch == Arch::Qwen3,
        rope_freq_divisors,
    };
    cfg.validate()?;
    Ok(cfg)
}

fn matrix(t: Tensor, name: &str, rows: usize, cols: usize) -> Result<Array2<f32>> {
    if t.shape != [rows, cols] {
        return Err(ModelError::Shape {
            name: name.into(),
            expected: vec![rows, cols],
            got: t.shape,
        });
    }
    Array2::from_shape_vec((rows, cols), t.data)
        .map_err(|e| ModelError::Load(format!("{name}: {e}")))
}

fn vector(t: Tensor, name: &str, n: usize) -> Result<Array1<f32>> {
    if t.shape != [n] {
        return Err(ModelError::Shape {
            name: name.into(),
            expected: vec![n],
            got: t.shape,
        });
    }
    Ok(Array1::from_vec(t.data))
}

/// All weights of `file` for `cfg` (from [`config_from_gguf`]).
pub fn weights_from_gguf(file: &GgufFile, cfg: &ModelConfig) -> Result<ModelWeights> {
    let permuted = ArchParams::from_gguf(file)?.qk_rows_permuted;
    let (h, q, kv, f, hd) = (cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.head_dim);
    let get = |name: &str| file.tensor_f32(name).map_err(ModelError::from);
    let mut layers = Vec::with_capacity(cfg.n_layer);
    for i in 0..cfg.n_layer {
        let n = |s: &str| format!("blk.{i}.{s}.weight");
        let mut wq = get(&n("attn_q"))?;
        let mut wk = get(&n("attn_k"))?;
        if permuted {
            unpermute_qk_rows(&mut wq, cfg.n_head)?;
            unpermute_qk_rows(&mut wk, cfg.n_kv_head)?;
        }
        let qk_norm = |s: &str| -> Result<Option<Array1<f32>>> {
            if cfg.qk_norm {
                Ok(Some(vector(get(&n(s))?, &n(s), hd)?))
            } else {
                Ok(None)
            }
        };
        layers.push(LayerWeights {
            attn_norm: vector(get(&n("attn_norm"))?, &n("attn_norm"), h)?,
            wq: matrix(wq, &n("attn_q"), q, h)?,
            wk: matrix(wk, &n("attn_k"), kv, h)?,
            wv: matrix(get(&n("attn_v"))?, &n("attn_v"), kv, h)?,
            wo: matrix(get(&n("attn_output"))?, &n("attn_output"), h, q)?,
            q_norm: qk_norm("attn_q_norm")?,
            k_norm: qk_norm("attn_k_norm")?,
            ffn_norm: vector(get(&n("ffn_norm"))?, &n("ffn_norm"), h)?,
            w_gate: matrix(get(&n("ffn_gate"))?, &n("ffn_gate"), f, h)?,
            w_up: matrix(get(&n("ffn_up"))?, &n("ffn_up"), f, h)?,
            w_down: matrix(get(&n("ffn_down"))?, &n("ffn_down"), h, f)?,
        });
    }
    let w = ModelWeights {
        embedding: matrix(get("token_embd.weight")?, "token_embd.weight", cfg.vocab, h)?,
        layers,
        final_norm: vector(get("output_norm.weight")?, "output_norm.weight", h)?,
        lm_head: if cfg.tied_embeddings {
            None
        } else {
            Some(matrix(
                get("output.weight")?,
                "output.weight",
                cfg.vocab,
                h,
            )?)
        },
    };
    w.validate(cfg)?;
    Ok(w)
}

/// Config, f32 weights and tokenizer of a llama or qwen3 GGUF file.
pub fn load_gguf(path: impl AsRef<Path>) -> Result<(ModelConfig, ModelWeights, Tokenizer)> {
    let file = GgufFile::open(path.as_ref())?;
    let cfg = config_from_gguf(&file)?;
    let weights = weights_from_gguf(&file, &cfg)?;
    let tok = Tokenizer::from_gguf(&file)?;
    Ok((cfg, weights, tok))
}

/// Where model files live: `$SDEC_MODEL_DIR`, else `<workspace root>/.sdec/models`.
pub fn model_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SDEC_MODEL_DIR") {
        return PathBuf::from(d);
    }
    // this crate sits at <root>/runtime/model
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.sdec/models")
}

/// `model_dir()/name` when that file exists.
pub fn find_model_file(name: &str) -> Option<PathBuf> {
    let p = model_dir().join(name);
    p.is_file().then_some(p)
}

/// A model by name: a synthetic preset (`synthetic:tiny`, ...; weights from `seed`, no tokenizer) or a
/// GGUF file, given as a path or as a file name inside [`model_dir`].
pub fn load_model(spec: &str, seed: u64) -> Result<(crate::model::Model, Option<Tokenizer>)> {
    if spec.starts_with("synthetic:") {
        let cfg = ModelConfig::preset(spec)?;
        return Ok((crate::model::Model::synthetic(cfg, seed)?, None));
    }
    let direct = PathBuf::from(spec);
    let path = if direct.is_file() {
        direct
    } else {
        find_model_file(spec).ok_or_else(|| {
            ModelError::Load(format!(
                "no model file `{spec}` (nor in {})",
                model_dir().display()
            ))
        })?
    };
    let (cfg, w, tok) = load_gguf(&path)?;
    Ok((crate::model::Model::new(cfg, w)?, Some(tok)))
}
