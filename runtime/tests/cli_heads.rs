//! `sdec lychee-heads` as a user runs it: bad arguments are one-line errors; a saved profile gives a
//! head map without the model; on SmolLM2 (skipped when absent) a small calibration writes a map that
//! `lychee:heads=` then reads.

use serde_json::{json, Value};
use std::path::PathBuf;
mod common;
use common::*;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sdec-cli-heads-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bad_arguments_are_named() {
    let d = temp_dir("bad");
    let out = d.join("map.json");
    let out = out.to_str().unwrap();
    let o = sdec(&["lychee-heads", "--out", out, "--fraction", "1.5"]);
    assert_error(&o, &["--fraction", "1.5", "[0, 1]"]);
    let o = sdec(&["lychee-heads", "--out", out, "--fraction=-0.1"]);
    assert_error(&o, &["--fraction -0.1", "[0, 1]"]);
    let o = sdec(&["lychee-heads", "--out", out, "--model", "llama70b"]);
    assert_error(&o, &["unknown model `llama70b`", "smollm2"]);
    let o = sdec(&["lychee-heads", "--out", out, "--model", "synthetic:tiny"]);
    assert_error(&o, &["tokenizer"]);
    let o = sdec(&["lychee-heads", "--out", out, "--policy", "quest:budget=64"]);
    assert_error(&o, &["quest", "lychee"]);
    let o = sdec(&["lychee-heads", "--out", out, "--policy", "lychee:heads=x.json"]);
    assert_error(&o, &["heads="]);
    let o = sdec(&["lychee-heads", "--out", out, "--policy", "lychee:budget=none"]);
    assert_error(&o, &["budget", "none"]);
    let o = sdec(&["lychee-heads", "--out", "/nowhere/map.json"]);
    assert_error(&o, &["/nowhere"]);
    let o = sdec(&["lychee-heads", "--out", out, "--from-profile", "/nowhere/p.json"]);
    assert_error(&o, &["/nowhere/p.json"]);
    let junk = d.join("junk.json");
    std::fs::write(&junk, "{\"profile\": 3}").unwrap();
    let o = sdec(&["lychee-heads", "--out", out, "--from-profile", junk.to_str().unwrap()]);
    assert_error(&o, &["junk.json", "--save-profile"]);
    assert!(!std::path::Path::new(out).exists(), "no map written on an error");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_saved_profile_gives_a_map_without_the_model() {
    let d = temp_dir("saved");
    // 4 layers x 2 KV heads, every head fully covered except (2, 1)
    let mut cov = vec![vec![vec![1.0f64; 4]; 4]; 2];
    for source in cov[1].iter_mut().take(3) {
        source[2] = 0.3;
    }
    let saved = json!({
        "model": "hand-made", "policy": "lychee:budget=64,block=16,sink=8,recent=16,correct=0",
        "prompts": [],
        "profile": {"n_layer": 4, "n_kv_head": 2, "samples": 5, "coverage": cov},
    });
    let prof = d.join("profile.json");
    std::fs::write(&prof, saved.to_string()).unwrap();
    let out = d.join("map.json");
    // 0.125 of 8 heads = 1 retrieval head beyond layer 0
    let o = sdec(&["lychee-heads", "--from-profile", prof.to_str().unwrap(), "--fraction", "0.125", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("| 1 | 2 | 1 | 0.300 |"), "{stdout}");
    let map: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(map["retrieval"], json!([[0, 0], [0, 1], [2, 1]]));
    assert_eq!(map["about"]["fraction"], 0.125);
    assert_eq!(map["about"]["retrieval_beyond_layer0"], 1);
    assert_eq!(map["about"]["picks"][0]["layer"], 2);
    // a profile of another shape is refused by the model that reads the map: 4 layers vs synthetic:tiny's 2
    let o = sdec(&["generate", "--model", "synthetic:tiny", "--prompt", "hello", "--max-new-tokens", "2", "--policy", &format!("lychee:budget=16,block=4,heads={}", out.display())]);
    assert_error(&o, &["[2, 1]", "2 layers"]);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn smollm2_calibration_writes_a_map_lychee_reads() {
    let dir = std::env::var_os("SDEC_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.sdec/models"));
    if !dir.join(SMOLLM2).is_file() {
        println!("skipped: {SMOLLM2} not in {} (run scripts/setup.sh or set SDEC_MODEL_DIR)", dir.display());
        return;
    }
    let d = temp_dir("smollm2");
    let (out, prof) = (d.join("map.json"), d.join("profile.json"));
    let run = |args: &[&str]| sdec_env(args, "SDEC_MODEL_DIR", dir.to_str().unwrap());
    // one short prompt, a budget well under it
    let o = run(&["lychee-heads", "--model", "smollm2", "--policy", "lychee:budget=128,block=16", "--lengths", "400", "--depths", "0.3", "--max-new-tokens", "4", "--fraction", "0.1", "--out", out.to_str().unwrap(), "--save-profile", prof.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let map: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let pairs = map["retrieval"].as_array().unwrap();
    // SmolLM2: 30 layers x 3 KV heads; 0.1 of 90 = 9 beyond layer 0's 3
    assert_eq!(pairs.len(), 12);
    assert_eq!(&pairs[..3], &[json!([0, 0]), json!([0, 1]), json!([0, 2])]);
    assert_eq!(map["about"]["calibration"][0]["seed"], 100);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&prof).unwrap()).unwrap();
    assert_eq!(saved["profile"]["samples"], 3, "4 new tokens: 3 decode steps");
    // the same choice again from the saved profile
    let again = d.join("again.json");
    let o = run(&["lychee-heads", "--from-profile", prof.to_str().unwrap(), "--fraction", "0.1", "--out", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let map2: Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(map2["retrieval"], map["retrieval"]);
    let o = run(&["generate", "--model", "smollm2", "--prompt", "Hello", "--max-new-tokens", "2", "--policy", &format!("lychee:budget=128,block=16,heads={}", out.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&d).ok();
}
