//! `sdec tune`'s bad input, without a GPU: clear errors naming the valid values, exit 2.

use std::process::Command;

fn sdec(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sdec")).args(args).output().expect("sdec runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn unknown_family_lists_the_valid_ones() {
    let (code, text) = sdec(&["tune", "--family", "nope"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown family `nope`"), "{text}");
    for f in ["topk", "decode_attention", "gather_attention", "block_score", "rmsnorm", "argmax"] {
        assert!(text.contains(f), "{f} listed: {text}");
    }
}

#[test]
fn unknown_shapes_list_the_presets_and_labels() {
    let (code, text) = sdec(&["tune", "--family", "topk", "--shapes", "huge"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("standard, quick") && text.contains("64x2048-k64"), "{text}");
}

#[test]
fn unknown_strategy_is_refused() {
    let (code, text) = sdec(&["tune", "--strategy", "random"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("exhaustive") && text.contains("descent"), "{text}");
}

#[test]
fn unwritable_cache_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let (code, text) = sdec(&["tune", "--cache", file.join("tune").to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("is not writable"), "{text}");
}

#[test]
fn no_gpu_is_a_clear_error() {
    if sdec_runtime::gpu::driver_present() {
        eprintln!("skipped: a CUDA driver is present (sdec tune would tune)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = sdec(&["tune", "--cache", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no CUDA driver"), "{text}");
}
