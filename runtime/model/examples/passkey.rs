//! Passkey retrieval on a GGUF model under several policies.
//! `cargo run -p sdec-model --release --example passkey -- [tokens] [depth] [policy ...]`
//! (model: `$SDEC_MODEL`, default SmolLM2-135M-Instruct.Q4_1.gguf in `$SDEC_MODEL_DIR`).

use sdec_model::{build_passkey, load_model, prefill_prompt, run_passkey_from, PolicySpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tokens: usize = args.first().map_or(Ok(3000), |s| s.parse())?;
    let depth: f64 = args.get(1).map_or(Ok(0.5), |s| s.parse())?;
    let mut policies: Vec<String> = args.iter().skip(2).cloned().collect();
    if policies.is_empty() {
        policies = vec!["full".into()];
    }
    let name =
        std::env::var("SDEC_MODEL").unwrap_or_else(|_| "SmolLM2-135M-Instruct.Q4_1.gguf".into());
    let (model, tok) = load_model(&name, 0)?;
    let tok = tok.ok_or("passkey needs a model with a tokenizer")?;
    let task = build_passkey(&tok, tokens, depth, 1)?;
    println!(
        "{} prompt tokens, pass key {} at depth {depth}",
        task.prompt_ids.len(),
        task.passkey
    );
    let pre = prefill_prompt(&model, &task.prompt_ids, 512)?;
    println!("prefill {:.1} s", pre.seconds);
    for p in &policies {
        let policy = PolicySpec::parse(p)?;
        let r = run_passkey_from(&model, &tok, &task, pre.clone(), &policy, 12)?;
        println!(
            "{:<60} {:>5} answer {:?}  KV read {:.3} of full, decode {:.2} s{}",
            policy.to_string(),
            if r.correct { "OK" } else { "MISS" },
            r.answer,
            r.report.kv_read_fraction(),
            r.report.decode_seconds,
            if r.report.acceptance.is_empty() {
                String::new()
            } else {
                format!(", {:.2} tokens/round", r.report.mean_acceptance())
            }
        );
    }
    Ok(())
}
