//! Invariants of the sparse policies on a synthetic tiny model (4 layers so cross-layer reuse happens):
//! with a budget covering the context every policy is full attention bit for bit; with a small budget it
//! really reads less and changes the logits; specattn always reproduces full greedy decoding.

mod common;
use common::{model, prompt_with};
use sdec_model::policies::AttentionPolicy;
use sdec_model::{generate, Model, PolicySpec};

fn prompt(n: usize, vocab: usize) -> Vec<u32> {
    prompt_with(n, vocab, 77)
}

/// Greedy decode with full logits per step and the KV entries read.
fn run(
    m: &Model,
    pol: &mut dyn AttentionPolicy,
    prompt: &[u32],
    steps: usize,
) -> (Vec<u32>, Vec<Vec<f32>>, u64) {
    let mut cache = m.new_cache(prompt.len() + steps + 1).unwrap();
    let mut logits = m.prefill(&mut cache, prompt, 64).unwrap();
    let (mut toks, mut all, mut read) = (Vec::new(), Vec::new(), 0);
    for _ in 0..steps {
        let t = sdec_model::generate::argmax(&logits);
        toks.push(t);
        let out = m.decode(&mut cache, t, pol).unwrap();
        read += out.kv_read;
        logits = out.logits.clone();
        all.push(out.logits);
    }
    (toks, all, read)
}

const WHOLE: [&str; 8] = [
    "lychee",
    "lychee:budget=256,block=16,sink=0,recent=0",
    "tidal",
    "tidal:budget=256,layers=1",
    "quest:budget=256,page=8",
    "lfps:budget=256,refresh=3",
    "streaming:sink=4,recent=252",
    "lychee:budget=16,block=16,correct=1",
];

#[test]
fn whole_context_budget_equals_full_bitwise() {
    let m = model();
    let p = prompt(180, m.cfg.vocab);
    let (ft, fl, fr) = run(&m, &mut sdec_model::policies::Full, &p, 40);
    for spec in WHOLE {
        let mut pol = PolicySpec::parse(spec).unwrap().build(&m.cfg).unwrap();
        let (t, l, r) = run(&m, pol.as_mut(), &p, 40);
        assert_eq!(t, ft, "{spec}: tokens");
        assert_eq!(l, fl, "{spec}: logits");
        assert_eq!(r, fr, "{spec}: KV entries read");
    }
}

#[test]
fn small_budgets_read_less_and_change_logits() {
    let m = model();
    let p = prompt(300, m.cfg.vocab);
    let (_, fl, fr) = run(&m, &mut sdec_model::policies::Full, &p, 12);
    for spec in [
        "lychee:budget=32,block=8,sink=4,recent=8",
        "tidal:budget=24,layers=1",
        "quest:budget=32,page=8,dense_layers=1",
        "lfps:budget=24,refresh=4,w=1",
        "streaming:sink=4,recent=20",
    ] {
        let mut pol = PolicySpec::parse(spec).unwrap().build(&m.cfg).unwrap();
        let (_, l, r) = run(&m, pol.as_mut(), &p, 12);
        // lychee's default map keeps 5 of 8 (layer, head) pairs dense on this 4-layer, 2-KV-head model
        assert!(r * 10 < fr * 7, "{spec}: read {r} of {fr}");
        assert_ne!(l, fl, "{spec}: logits unchanged");
        let d = l
            .iter()
            .flatten()
            .zip(fl.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        println!(
            "{spec}: reads {:.3} of full, max |Δlogit| {d:.4}",
            r as f64 / fr as f64
        );
        assert!(l.iter().flatten().all(|x| x.is_finite()));
    }
}

#[test]
fn lychee_sparse_heads_follow_the_index_buffer() {
    // one retrieval head per layer; a sparse head at layer 2 reads what layer 1 (or 0) wrote for its index
    use sdec_model::policies::{HeadMap, Lychee};
    let m = model();
    let p = prompt(200, m.cfg.vocab);
    let params = match PolicySpec::parse("lychee:budget=32,block=8,sink=0,recent=0").unwrap() {
        PolicySpec::Lychee(p) => p,
        _ => unreachable!(),
    };
    let map = HeadMap::from_pairs(&m.cfg, &[(1, 0)]).unwrap();
    assert_eq!(map.n_retrieval(), m.cfg.n_kv_head + 1);
    let mut pol = Lychee::with_map(params.clone(), map, &m.cfg);
    let (_, _, r) = run(&m, &mut pol, &p, 3);
    // per step: layer 0 dense (2 heads), layer 1 head 0 dense, 5 sparse heads read 4 blocks of 8 (one of
    // them possibly the partial last block, of 1..=7 positions)
    let per_step = |ctx: u64| 3 * ctx + 5 * 32;
    let most = per_step(201) + per_step(202) + per_step(203);
    assert!(r <= most && r > most - 3 * 5 * 8, "{r} vs {most}");
}

#[test]
fn lfps_reports_recall() {
    let m = model();
    let p = prompt(300, m.cfg.vocab);
    let r = generate(
        &m,
        &p,
        &PolicySpec::parse("lfps:budget=16,refresh=5,w=1").unwrap(),
        12,
    )
    .unwrap();
    assert_eq!(r.recall.len(), 11);
    assert!(r.recall.iter().all(|&x| (0.0..=1.0).contains(&x)));
    // refresh steps (0, 5, 10) are exact
    assert_eq!(r.recall[0], 1.0);
    assert_eq!(r.recall[5], 1.0);
    println!("lfps recall per step: {:?}", r.recall);
}

#[test]
fn specattn_reproduces_full_greedy_decoding() {
    let m = model();
    let p = prompt(200, m.cfg.vocab);
    let full = generate(&m, &p, &PolicySpec::Full, 30).unwrap();
    for spec in [
        "specattn:min=1,ratio=0.0",
        "specattn:min=4,ratio=0.01,gamma=3",
        "specattn:min=16,ratio=0.05",
        "specattn:min=64,gamma=1",
        "specattn:gamma=6",
        "specattn:draft=streaming,min=8,ratio=0.0",
        "specattn:draft=streaming,min=64,gamma=4,sink=2",
        "specattn:gamma=0",
    ] {
        let r = generate(&m, &p, &PolicySpec::parse(spec).unwrap(), 30).unwrap();
        assert_eq!(r.generated_ids, full.generated_ids, "{spec}");
        assert_eq!(r.top5, full.top5, "{spec}");
        assert_eq!(r.acceptance.iter().sum::<usize>(), 29, "{spec}");
        println!(
            "{spec}: {:.2} tokens/round, reads {:.3} of full",
            r.mean_acceptance(),
            r.kv_read_fraction()
        );
    }
}

#[test]
fn report_serializes_and_progress_fires() {
    let m = model();
    let p = prompt(50, m.cfg.vocab);
    let mut seen = Vec::new();
    let mut cb = |pr: sdec_model::Progress| seen.push(pr.generated);
    let opts = sdec_model::GenerateOptions {
        progress: Some(&mut cb),
        ..Default::default()
    };
    let r = sdec_model::generate_with(
        &m,
        &p,
        &PolicySpec::parse("streaming:recent=16").unwrap(),
        5,
        opts,
    )
    .unwrap();
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    let json = serde_json::to_string(&r).unwrap();
    let back: sdec_model::GenerateReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(r.kv_read_per_step.len(), 4);
    assert_eq!(r.top5.len(), 5);
}

#[test]
fn lychee_head_map_file_and_recorded_decisions() {
    use sdec_model::policies::{Recorder, Selection};
    let m = model();
    let dir = std::env::temp_dir().join(format!("sdec-model-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("heads.json");
    std::fs::write(&good, r#"{"retrieval": [[2, 1]]}"#).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"retrieval": [[9, 0]]}"#).unwrap();
    let spec = format!(
        "lychee:budget=32,block=8,sink=0,recent=0,heads={}",
        good.display()
    );
    let pol = PolicySpec::parse(&spec).unwrap().build(&m.cfg).unwrap();
    let mut rec = Recorder::new(pol);
    run(&m, &mut rec, &prompt(120, m.cfg.vocab), 2);
    assert_eq!(rec.log.len(), 2 * m.cfg.n_layer * m.cfg.n_kv_head);
    for r in &rec.log {
        let dense = r.layer == 0 || (r.layer, r.kv_head) == (2, 1);
        assert_eq!(r.selection == Selection::Dense, dense, "{r:?}");
        if let Selection::Positions(p) = &r.selection {
            // 4 whole blocks of 8 (the last, partial block of the context may be one of them), from
            // layer 0's row (head 0) or layer 2's row (head 1)
            let mut blocks: Vec<usize> = p.iter().map(|x| x / 8).collect();
            blocks.dedup();
            assert_eq!(blocks.len(), 4, "{p:?}");
            assert!(blocks
                .iter()
                .all(|&b| (b * 8..(b * 8 + 8).min(r.ctx_len)).all(|x| p.contains(&x))));
        }
    }
    let e = PolicySpec::parse(&format!("lychee:heads={}", bad.display()))
        .unwrap()
        .build(&m.cfg)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("[9, 0]"), "{e}");
    let e = PolicySpec::parse("lychee:heads=/nonexistent/h.json")
        .unwrap()
        .build(&m.cfg)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/nonexistent/h.json"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn one_prefill_serves_many_policies() {
    use sdec_model::{generate_from, prefill_prompt, GenerateOptions};
    let m = model();
    let p = prompt(150, m.cfg.vocab);
    let pre = prefill_prompt(&m, &p, 32).unwrap();
    for spec in ["full", "specattn:min=8,ratio=0.0", "lfps:budget=16"] {
        let policy = PolicySpec::parse(spec).unwrap();
        let mut a = generate(&m, &p, &policy, 20).unwrap();
        let mut b =
            generate_from(&m, pre.clone(), &policy, 20, GenerateOptions::default()).unwrap();
        for r in [&mut a, &mut b] {
            r.prefill_seconds = 0.0;
            r.decode_seconds = 0.0;
        }
        assert_eq!(a, b, "{spec}");
    }
}

#[test]
fn tidal_later_layers_reuse_the_selection_layer_picks() {
    use sdec_model::policies::{Recorder, Selection};
    let m = model();
    let pol = PolicySpec::parse("tidal:budget=24,layers=1")
        .unwrap()
        .build(&m.cfg)
        .unwrap();
    let mut rec = Recorder::new(pol);
    run(&m, &mut rec, &prompt(100, m.cfg.vocab), 3);
    for step in 0..3 {
        for h in 0..m.cfg.n_kv_head {
            let at = |l: usize| {
                &rec.log
                    .iter()
                    .find(|r| r.step == step && r.layer == l && r.kv_head == h)
                    .unwrap()
                    .selection
            };
            assert_eq!(at(0), &Selection::Dense);
            assert_eq!(at(1), &Selection::Dense);
            match at(2) {
                Selection::Positions(p) => assert_eq!(p.len(), 24),
                other => panic!("{other:?}"),
            }
            assert_eq!(at(2), at(3));
        }
    }
}

#[test]
fn quest_page_bound_dominates_every_key() {
    use sdec_model::policies::{HeadCtx, Quest, QuestParams};
    let (hd, n, g) = (16, 50, 2);
    let val =
        |i: usize| ((sdec_model::synthetic::mix64(i as u64) >> 40) as f32 / 16777216.0) * 2.0 - 1.0;
    let keys = ndarray::Array2::from_shape_fn((n, hd), |(p, d)| val(p * hd + d));
    let queries = ndarray::Array2::from_shape_fn((g, hd), |(r, d)| val(100_000 + r * hd + d));
    let h = HeadCtx {
        layer: 3,
        kv_head: 0,
        ctx_len: n,
        queries: queries.view(),
        keys: keys.view(),
    };
    let q = Quest::new(
        QuestParams {
            budget: 16,
            page: 8,
            dense_layers: 0,
        },
        &sdec_model::ModelConfig::tiny(),
    )
    .unwrap();
    let bounds = q.page_scores(&h);
    assert_eq!(bounds.len(), 7);
    for (p, k) in keys.rows().into_iter().enumerate() {
        for qr in queries.rows() {
            let s: f32 = qr.iter().zip(k.iter()).map(|(a, b)| a * b).sum();
            assert!(
                bounds[p / 8] >= s - 1e-5,
                "page {} bound {} < score {s}",
                p / 8,
                bounds[p / 8]
            );
        }
    }
}
