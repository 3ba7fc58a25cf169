//! `sdec kernels list --json` gives each family's source hash (the tuning cache's key), and
//! benches/cache_variant.py --rekey files a cache's entries under another build's hashes, so two
//! builds run the same winners (benches/decode_ab.sh with FAMILIES="").

use std::path::Path;
use std::process::Command;

use sdec_kernels::attention::DecodeAttention;

fn listing() -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sdec")).args(["kernels", "list", "--json"]).output().expect("sdec runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("kernels list --json is JSON")
}

#[test]
fn kernels_list_json_gives_the_cache_keys_source_hash() {
    let rows = listing();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), sdec_kernels::registry::names().len());
    for row in rows {
        let hash = row["source_hash"].as_str().unwrap_or_default();
        assert!(hash.len() == 32 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{row}");
    }
    let decode = rows.iter().find(|r| r["family"] == "decode_attention").unwrap();
    assert_eq!(decode["source_hash"], sdec_kernels::family::source_hash::<DecodeAttention>());
}

#[test]
fn cache_variant_rekeys_every_entry_to_the_builds_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let (base, out) = (dir.path().join("base"), dir.path().join("out"));
    std::fs::create_dir_all(&base).unwrap();
    let entry = |family: &str, label: &str| {
        serde_json::json!({"key": {"family": family, "source_hash": "0123", "bucket": "b"}, "label": label, "winner": {"threads": 128}})
    };
    let mut cache = serde_json::json!({"schema": 1, "entries": [entry("decode_attention", "b1"), entry("topk", "t")]});
    cache["entries"][1]["refined_by"] = serde_json::json!({"full": {"config": {"threads": 512}}});
    std::fs::write(base.join("tune.json"), cache.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/cache_variant.py");
    let run = Command::new("python3")
        .arg(&script)
        .args(["--rekey", env!("CARGO_BIN_EXE_sdec")])
        .arg(&base)
        .arg(&out)
        .arg(r#"topk:t={"threads": 256}"#)
        .output()
        .expect("python3 runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let rekeyed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("tune.json")).unwrap()).unwrap();
    let hashes = listing();
    let hash_of = |family: &str| hashes.as_array().unwrap().iter().find(|r| r["family"] == family).unwrap()["source_hash"].clone();
    let entries = rekeyed["entries"].as_array().unwrap();
    for e in entries {
        let family = e["key"]["family"].as_str().unwrap();
        assert_eq!(e["key"]["source_hash"], hash_of(family), "{e}");
    }
    assert_eq!(entries[0]["winner"]["threads"], 128, "untouched winner");
    assert_eq!(entries[1]["winner"]["threads"], 256, "the change after the re-keying");
    assert!(entries[1].get("refined_by").is_none(), "a replaced winner is what runs: {}", entries[1]);
    // A family the build does not have is an error, not a silent skip.
    let mut stray = cache.clone();
    stray["entries"][0]["key"]["family"] = "flash".into();
    std::fs::write(base.join("tune.json"), stray.to_string()).unwrap();
    let run = Command::new("python3").arg(&script).args(["--rekey", env!("CARGO_BIN_EXE_sdec")]).arg(&base).arg(&out).output().expect("python3 runs");
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("flash"), "{}", String::from_utf8_lossy(&run.stderr));
    // A binary that cannot be run is named, not a traceback.
    let run = Command::new("python3").arg(&script).args(["--rekey", "/nonexistent/sdec"]).arg(&base).arg(&out).output().expect("python3 runs");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && err.contains("cannot run /nonexistent/sdec") && !err.contains("Traceback"), "{err}");
}
