//! The floor of the GPU check on a real model: the reference against itself, once as is and once
//! with q/k/v and the attention output jittered by a relative `eps` before their bf16 rounding
//! (eps = 1e-7 is about one fp32 ulp: another correct summation order). Both prefill the same
//! passkey prompt, then decode `steps` teacher-forced steps (the first model's greedy tokens) as
//! `sdec check` does, each model under its own instance of `policy` (default `full`); prints
//! each step's relative L2 of the logits and the worst.
//!
//!     cargo run --release -p sdec-model --example rounding_floor -- MODEL.gguf [EPS] [SEED] [STEPS] [POLICY]

use sdec_model::generate::argmax;
use sdec_model::passkey::build_passkey;
use sdec_model::policies::PolicySpec;
use sdec_model::{load_model, Model};

fn rel_l2(got: &[f32], want: &[f32]) -> f64 {
    let (num, den) = got.iter().zip(want).fold((0f64, 0f64), |(n, d), (&g, &w)| (n + (g as f64 - w as f64).powi(2), d + (w as f64).powi(2)));
    (num / den).sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: rounding_floor MODEL.gguf [EPS] [SEED] [STEPS] [POLICY]")?;
    let eps: f32 = args.get(2).map_or(Ok(1e-7), |a| a.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(0), |a| a.parse())?;
    let steps: usize = args.get(4).map_or(Ok(32), |a| a.parse())?;
    let policy = PolicySpec::parse(args.get(5).map_or("full", |a| a.as_str()))?;
    let (loaded, tokenizer) = load_model(path, 0)?;
    let tokenizer = tokenizer.ok_or("the model has no tokenizer (a passkey prompt needs one)")?;
    let mut weights = loaded.weights;
    weights.round_to_bf16();
    let plain = Model::new(loaded.cfg.clone(), weights.clone())?.with_bf16_activations();
    let mut policies = [policy.build(&loaded.cfg)?, policy.build(&loaded.cfg)?];
    let jittered = Model::new(loaded.cfg, weights)?.with_bf16_activations().with_activation_jitter(eps);
    let prompt = build_passkey(&tokenizer, 600, 0.5, seed)?.prompt_ids;
    let capacity = prompt.len() + steps + 1;
    let mut caches = [plain.new_cache(capacity)?.with_bf16_storage(), jittered.new_cache(capacity)?.with_bf16_storage()];
    let mut want = plain.prefill(&mut caches[0], &prompt, 512)?;
    let got = jittered.prefill(&mut caches[1], &prompt, 512)?;
    println!("eps {eps:e}, seed {seed}, policy {policy}, {} prompt tokens: prefill {:.2e}", prompt.len(), rel_l2(&got, &want));
    let mut worst = 0f64;
    for step in 0..steps {
        let token = argmax(&want);
        want = plain.decode(&mut caches[0], token, policies[0].as_mut())?.logits;
        let got = jittered.decode(&mut caches[1], token, policies[1].as_mut())?.logits;
        let e = rel_l2(&got, &want);
        worst = worst.max(e);
        println!("step {step:2}: {e:.2e}");
    }
    println!("worst step {worst:.2e}");
    Ok(())
}
