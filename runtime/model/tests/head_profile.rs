//! The head-map profiling on a synthetic tiny model (4 layers, 2 KV heads): the profiler decodes as
//! `full` does, a budget covering the context covers every head, and the chosen map round-trips through
//! the file `lychee:heads=` reads.

mod common;
use common::{model, prompt_with};
use sdec_model::policies::{choose_heads, profile_prompt, HeadMap, LycheeParams};
use sdec_model::{generate, prefill_prompt, PolicySpec};

fn prompt(n: usize, vocab: usize) -> Vec<u32> {
    prompt_with(n, vocab, 5)
}

fn lychee(spec: &str) -> LycheeParams {
    match PolicySpec::parse(spec).unwrap() {
        PolicySpec::Lychee(p) => p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn profiling_decodes_like_full_and_a_whole_budget_covers_everything() {
    let m = model();
    let p = prompt(200, m.cfg.vocab);
    let full = generate(&m, &p, &PolicySpec::Full, 8).unwrap();
    let pre = prefill_prompt(&m, &p, 64).unwrap();
    let (prof, toks) = profile_prompt(&m, pre, &lychee("lychee:budget=256"), 8, &[]).unwrap();
    assert_eq!(toks, full.generated_ids);
    assert_eq!(
        prof.samples, 7,
        "one sample per decode step; the first token comes from the prefill"
    );
    prof.validate(4, 2).unwrap();
    for h in 0..2 {
        for l in 0..4 {
            for s in 0..=l {
                assert!(
                    (prof.get(h, s, l) - 1.0).abs() < 1e-9,
                    "h {h} s {s} l {l}: {}",
                    prof.get(h, s, l)
                );
            }
        }
    }
}

#[test]
fn a_small_budget_loses_mass_and_the_chosen_map_round_trips() {
    let m = model();
    let p = prompt(300, m.cfg.vocab);
    let pre = prefill_prompt(&m, &p, 64).unwrap();
    let params = lychee("lychee:budget=32,block=8,sink=4,recent=8");
    let (prof, _) = profile_prompt(&m, pre, &params, 6, &[]).unwrap();
    prof.validate(4, 2).unwrap();
    let below: Vec<f64> = (1..4)
        .flat_map(|l| (0..2).map(move |h| (h, l)))
        .map(|(h, l)| prof.get(h, 0, l))
        .collect();
    assert!(
        below.iter().any(|&c| c < 0.999),
        "a 40-token read of 300 keeps everything? {below:?}"
    );
    // a head's own picks are the best 4 blocks for its mean query, so they beat layer 0's on average
    let own: f64 = (1..4)
        .flat_map(|l| (0..2).map(move |h| (h, l)))
        .map(|(h, l)| prof.get(h, l, l))
        .sum();
    assert!(own >= below.iter().sum::<f64>(), "{own} vs {below:?}");

    let choice = choose_heads(&prof, 2);
    assert_eq!(choice.picks.len(), 2);
    assert!(choice.map.retrieval[0].iter().all(|&r| r), "layer 0 dense");
    assert_eq!(choice.map.n_retrieval(), 2 + 2);
    // each pick lowers the missed mass
    let missed0 = prof.missed(&sdec_model::policies::head_choice::layer0_only(4, 2));
    assert!(choice.picks[0].missed_after < missed0);
    assert!(choice.picks[1].missed_after <= choice.picks[0].missed_after);

    let dir = std::env::temp_dir().join(format!("sdec-head-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("heads.json").display().to_string();
    let about = serde_json::json!({"fraction": 0.25, "samples": prof.samples});
    choice.map.save(&path, Some(&about)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["about"]["fraction"], 0.25);
    assert_eq!(HeadMap::load(&m.cfg, &path).unwrap(), choice.map);
    // and the policy reads it
    let spec = PolicySpec::parse(&format!("lychee:budget=32,block=8,heads={path}")).unwrap();
    spec.build(&m.cfg).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
