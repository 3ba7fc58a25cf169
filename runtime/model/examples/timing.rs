//! Times prefill + greedy decode on a synthetic model of SmolLM2-135M's shape (no download needed).
//! `cargo run -p sdec-model --release --example timing -- [prompt_len] [new_tokens] [policy]`

use sdec_model::{generate, Arch, Model, ModelConfig, PolicySpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(1024), |s| s.parse())?;
    let new: usize = args.get(2).map_or(Ok(32), |s| s.parse())?;
    let policy = PolicySpec::parse(args.get(3).map_or("full", |s| s.as_str()))?;
    let cfg = ModelConfig {
        arch: Arch::Llama,
        n_layer: 30,
        hidden: 576,
        n_head: 9,
        n_kv_head: 3,
        head_dim: 64,
        ffn: 1536,
        vocab: 49152,
        max_context: 8192,
        rope_theta: 100000.0,
        rope_scaling: None,
        rms_eps: 1e-5,
        tied_embeddings: true,
        qk_norm: false,
        rope_freq_divisors: None,
    };
    let m = Model::synthetic(cfg, 1)?;
    let prompt: Vec<u32> = (0..n as u64)
        .map(|i| (sdec_model::synthetic::mix64(i) % 49152) as u32)
        .collect();
    let r = generate(&m, &prompt, &policy, new)?;
    println!(
        "{policy}: prompt {n}, {new} new: prefill {:.2} s, decode {:.2} s ({:.1} ms/token), KV read {:.3} of full",
        r.prefill_seconds,
        r.decode_seconds,
        1000.0 * r.decode_seconds / new.max(1) as f64,
        r.kv_read_fraction()
    );
    Ok(())
}
