//! On the real SmolLM2-135M-Instruct (Q4_1 GGUF): loading, a chat sanity check, passkey retrieval and the
//! CPU speed target. Skipped, with a printed "skipped:" line, when the file is absent; point
//! `SDEC_MODEL_DIR` at the folder holding it.

use sdec_model::{
    build_passkey, find_model_file, load_gguf, run_passkey, GenerateOptions, Model, PolicySpec,
    Tokenizer,
};
use std::sync::OnceLock;
use std::time::Instant;

const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Loaded once per test binary and shared: tests run in parallel and the f32 weights take 540 MB.
fn load() -> Option<&'static (Model, Tokenizer)> {
    static MODEL: OnceLock<Option<(Model, Tokenizer)>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let Some(path) = find_model_file(FILE) else {
                println!(
                    "skipped: {FILE} not found in {} (set SDEC_MODEL_DIR)",
                    sdec_model::model_dir().display()
                );
                return None;
            };
            let t0 = Instant::now();
            let (cfg, w, tok) = load_gguf(&path).unwrap();
            println!(
                "loaded {} in {:.2} s",
                path.display(),
                t0.elapsed().as_secs_f64()
            );
            Some((Model::new(cfg, w).unwrap(), tok))
        })
        .as_ref()
}

#[test]
fn config_matches_the_file() {
    let Some((m, tok)) = load() else {
        println!("skipped: no model file");
        return;
    };
    let c = &m.cfg;
    assert_eq!(
        (
            c.n_layer,
            c.hidden,
            c.n_head,
            c.n_kv_head,
            c.head_dim,
            c.ffn,
            c.vocab
        ),
        (30, 576, 9, 3, 64, 1536, 49152)
    );
    assert!(c.tied_embeddings && c.rope_theta == 100000.0 && c.max_context == 8192);
    assert_eq!(tok.vocab_size(), 49152);
}

#[test]
fn chat_answer_mentions_paris() {
    let Some((m, tok)) = load() else {
        println!("skipped: no model file");
        return;
    };
    let prompt = tok
        .apply_chat_template(&[("user", "What is the capital of France?")], true)
        .unwrap();
    let ids = tok.encode(&prompt).unwrap();
    let stop: Vec<u32> = [tok.eos_id(), tok.token_id("<|im_end|>")]
        .into_iter()
        .flatten()
        .collect();
    let opts = GenerateOptions {
        stop_tokens: stop,
        ..Default::default()
    };
    let r = sdec_model::generate_with(m, &ids, &PolicySpec::Full, 24, opts).unwrap();
    let text = tok.decode(&r.generated_ids);
    println!("answer: {text:?}");
    assert!(text.contains("Paris"), "{text}");
}

#[test]
fn passkey_found_with_full_and_sparse_attention() {
    let Some((m, tok)) = load() else {
        println!("skipped: no model file");
        return;
    };
    let task = build_passkey(tok, 1000, 0.4, 7).unwrap();
    println!(
        "passkey prompt: {} tokens, key {}",
        task.prompt_ids.len(),
        task.passkey
    );
    assert!((900..1100).contains(&task.prompt_ids.len()));
    for spec in [
        "full",
        "lychee:budget=256,block=16,sink=16,recent=64",
        "specattn:gamma=4,min=64",
    ] {
        let policy = PolicySpec::parse(spec).unwrap();
        let r = run_passkey(m, tok, &task, &policy, 12).unwrap();
        println!(
            "{spec}: answer {:?} correct {} (prefill {:.2} s, decode {:.2} s, KV read {:.3} of full, {:.2} tokens/round)",
            r.answer,
            r.correct,
            r.report.prefill_seconds,
            r.report.decode_seconds,
            r.report.kv_read_fraction(),
            r.report.mean_acceptance()
        );
        if spec == "full" || spec.starts_with("specattn") {
            assert!(r.correct, "{spec}: {}", r.answer);
        }
    }
}

/// The speed target: 1K-token prompt + 32 new tokens with full attention under 30 s on 2 cores.
#[test]
fn full_1k_prompt_32_tokens_under_30s() {
    let Some((m, tok)) = load() else {
        println!("skipped: no model file");
        return;
    };
    let task = build_passkey(tok, 1050, 0.5, 3).unwrap();
    assert!(task.prompt_ids.len() >= 1024);
    let t0 = Instant::now();
    let r = sdec_model::generate(m, &task.prompt_ids, &PolicySpec::Full, 32).unwrap();
    let s = t0.elapsed().as_secs_f64();
    println!(
        "SmolLM2 full: {} prompt tokens + {} new in {s:.2} s (prefill {:.2} s, decode {:.2} s = {:.1} ms/token)",
        task.prompt_ids.len(),
        r.generated_ids.len(),
        r.prefill_seconds,
        r.decode_seconds,
        1e3 * r.decode_seconds / 31.0
    );
    assert_eq!(r.generated_ids.len(), 32);
    assert!(s < 30.0, "{s} s");
}
