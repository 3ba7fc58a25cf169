//! Reader and dequantization checks against the real SmolLM2-135M Q4_1 file.

mod common;

use sdec_gguf::{GgmlType, GgufFile};

#[test]
fn header_metadata_and_tensor_table() {
    let Some(path) = common::model_path("header_metadata_and_tensor_table") else {
        return;
    };
    let f = GgufFile::open(path).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), 32);
    assert_eq!(f.get_str("general.architecture").unwrap(), "llama");
    assert_eq!(f.get_u32("llama.block_count").unwrap(), 30);
    assert_eq!(f.get_u32("llama.embedding_length").unwrap(), 576);
    assert_eq!(f.get_f32("llama.rope.freq_base").unwrap(), 1e5);
    assert_eq!(
        f.get_str_array("tokenizer.ggml.tokens").unwrap().len(),
        49152
    );

    let count = |ty| f.tensors().iter().filter(|t| t.ggml_type == ty).count();
    assert_eq!(count(GgmlType::Q4_1), 210);
    assert_eq!(count(GgmlType::F32), 61);
    assert_eq!(count(GgmlType::Q8_0), 1);
    assert_eq!(f.tensors().len(), 272);
    assert!(!f.has_tensor("output.weight"));

    let info = f.tensor_info("blk.0.attn_k.weight").unwrap();
    assert_eq!(info.dims, vec![576, 192]);
    assert_eq!(info.shape(), vec![192, 576]);
}

#[test]
fn dequantizes_each_type() {
    let Some(path) = common::model_path("dequantizes_each_type") else {
        return;
    };
    let f = GgufFile::open(path).unwrap();
    for (name, shape) in [
        ("token_embd.weight", vec![49152, 576]),    // Q8_0
        ("blk.0.ffn_down.weight", vec![576, 1536]), // Q4_1
        ("blk.29.attn_q.weight", vec![576, 576]),   // Q4_1
        ("output_norm.weight", vec![576]),          // F32
    ] {
        let t = f.tensor_f32(name).unwrap();
        assert_eq!(t.shape, shape, "{name}");
        assert_eq!(t.data.len(), shape.iter().product::<usize>());
        assert!(t.data.iter().all(|v| v.is_finite()), "{name}");
        let mean_abs = t.data.iter().map(|v| v.abs() as f64).sum::<f64>() / t.data.len() as f64;
        // Trained weights: neither all-zero nor exploded.
        assert!(
            mean_abs > 1e-3 && mean_abs < 10.0,
            "{name}: mean |x| = {mean_abs}"
        );
    }
    // RMS-norm gains are positive-ish around 1, not quantized noise.
    let norm = f.tensor_f32("blk.0.attn_norm.weight").unwrap();
    let mean = norm.data.iter().sum::<f32>() / norm.data.len() as f32;
    assert!(mean > 0.0, "mean norm gain {mean}");
}

/// First values of two tensors as dequantized by an independent implementation
/// (the `gguf` Python package), which this crate matched bit for bit.
#[test]
fn matches_reference_values() {
    let Some(path) = common::model_path("matches_reference_values") else {
        return;
    };
    let f = GgufFile::open(path).unwrap();
    for (name, want) in [
        (
            "token_embd.weight",
            [-0.106544495f32, 0.032978058, 0.0481987, -0.022830963],
        ),
        (
            "blk.0.attn_q.weight",
            [-0.09631348, 0.15734863, -0.09631348, -0.73046875],
        ),
    ] {
        let t = f.tensor_f32(name).unwrap();
        for (a, b) in t.data.iter().zip(want) {
            assert!((a - b).abs() <= 1e-7, "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn smollm2_arch_params() {
    let Some(path) = common::model_path("smollm2_arch_params") else {
        return;
    };
    let f = GgufFile::open(path).unwrap();
    let p = sdec_gguf::ArchParams::from_gguf(&f).unwrap();
    assert_eq!(p.arch, "llama");
    assert_eq!(
        (p.n_layer, p.n_embd, p.n_head, p.n_head_kv),
        (30, 576, 9, 3)
    );
    assert_eq!((p.head_dim, p.rope_dim, p.n_ff), (64, 64, 1536));
    assert_eq!((p.vocab, p.context_length), (49152, 8192));
    assert_eq!(p.rope_freq_base, 1e5);
    assert_eq!(p.rms_eps, 1e-5);
    assert_eq!(p.rope_scaling, None);
    assert!(p.tied_embeddings && p.qk_rows_permuted && !p.has_rope_freqs);
    // Q/K row counts are consistent with the head layout unpermute_qk_rows expects.
    let mut k = f.tensor_f32("blk.0.attn_k.weight").unwrap();
    assert_eq!(k.shape, vec![p.n_head_kv * p.head_dim, p.n_embd]);
    sdec_gguf::unpermute_qk_rows(&mut k, p.n_head_kv).unwrap();
}
