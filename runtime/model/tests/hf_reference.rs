//! SmolLM2-135M-Instruct against an implementation we did not write: Hugging Face transformers reading
//! the same Q4_1 GGUF file (fixture made by tests/fixtures/make_hf_reference.py; docs/reference-check.md
//! says how). For each prompt: our tokenizer gives transformers' prompt ids, our greedy continuation (KV
//! cache, chunked prefill) is transformers' token for token, and the top-5 logits of every step agree
//! within `TOL`. Skipped, with a "skipped:" line, when the GGUF file is absent (set SDEC_MODEL_DIR).

use sdec_model::{
    find_model_file, generate_with, load_gguf, GenerateOptions, LogitRows, Model, PolicySpec,
};
use serde::Deserialize;

const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Absolute tolerance on a logit. Both sides use the same dequantized f32 weights (Q4_1 → d·q + m); what
/// differs is the f32 summation order (8-lane dots without FMA here, MKL/oneDNN GEMMs there) and the
/// softmax / RMSNorm / RoPE formulations. Measured over the 48 steps: at most 3.8e-5 on logits of
/// magnitude ~10–30 (the test prints it; docs/reference-check.md records it). 1e-3 is 25 times that, a
/// margin for other CPUs and BLAS builds, and still small beside logit gaps between competing tokens.
const TOL: f32 = 1e-3;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    chat: bool,
    user_text: String,
    prompt: String,
    prompt_ids: Vec<u32>,
    generated_ids: Vec<u32>,
    top5: Vec<Vec<(u32, f32)>>,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hf_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn fixture_is_well_formed() {
    let f = fixture();
    assert_eq!(f.cases.len(), 3);
    assert!(f.cases.iter().any(|c| c.chat) && f.cases.iter().any(|c| !c.chat));
    for c in &f.cases {
        assert_eq!(c.generated_ids.len(), 16, "{}", c.name);
        assert_eq!(c.top5.len(), 16, "{}", c.name);
        for (step, t) in c.top5.iter().enumerate() {
            assert_eq!(t[0].0, c.generated_ids[step], "{} step {step}", c.name);
        }
    }
}

#[test]
fn smollm2_matches_transformers() {
    let Some(path) = find_model_file(FILE) else {
        println!(
            "skipped: {FILE} not found in {} (set SDEC_MODEL_DIR)",
            sdec_model::model_dir().display()
        );
        return;
    };
    let (cfg, w, tok) = load_gguf(&path).unwrap();
    let model = Model::new(cfg, w).unwrap();
    let mut worst = 0f32;
    for c in fixture().cases {
        // 1. the prompt: chat template and tokenizer
        if c.chat {
            let text = tok
                .apply_chat_template(&[("user", c.user_text.as_str())], true)
                .unwrap();
            assert_eq!(text, c.prompt, "{}: chat template", c.name);
        }
        assert_eq!(
            tok.encode(&c.prompt).unwrap(),
            c.prompt_ids,
            "{}: prompt ids",
            c.name
        );

        // 2. greedy continuation through the normal decode path (prefill in chunks of 8, KV cache)
        let opts = GenerateOptions {
            prefill_chunk: 8,
            ..Default::default()
        };
        let r = generate_with(&model, &c.prompt_ids, &PolicySpec::Full, 16, opts).unwrap();
        assert_eq!(
            r.generated_ids,
            c.generated_ids,
            "{}: greedy tokens (ours {:?})",
            c.name,
            tok.decode(&r.generated_ids)
        );

        // 3. logits: every step's full vocabulary from one pass over prompt + continuation
        let mut seq = c.prompt_ids.clone();
        seq.extend_from_slice(&c.generated_ids[..15]);
        let mut cache = model.new_cache(seq.len()).unwrap();
        let all = model
            .forward_chunk(&mut cache, &seq, LogitRows::All, None)
            .unwrap();
        for (step, hf) in c.top5.iter().enumerate() {
            let row = all.row(c.prompt_ids.len() - 1 + step);
            for &(id, hf_logit) in hf {
                let d = (row[id as usize] - hf_logit).abs();
                worst = worst.max(d);
                assert!(
                    d <= TOL,
                    "{} step {step} token {id}: ours {} transformers {hf_logit}",
                    c.name,
                    row[id as usize]
                );
            }
            // our own top 5 are the same tokens, except that two within TOL may swap places
            let ours = &r.top5[step];
            for (k, &(id, logit)) in ours.iter().enumerate() {
                assert!(
                    (logit - row[id as usize]).abs() <= TOL,
                    "{} step {step}: decode path vs one pass",
                    c.name
                );
                if id != hf[k].0 {
                    assert!(
                        (logit - hf[k].1).abs() <= 2.0 * TOL,
                        "{} step {step} rank {k}: ours {id} ({logit}), transformers {:?}",
                        c.name,
                        hf[k]
                    );
                }
            }
        }
        println!("{}: {:?}", c.name, tok.decode(&r.generated_ids));
    }
    println!("largest |logit difference| vs transformers over the top 5 of 48 steps: {worst:.2e}");
}
