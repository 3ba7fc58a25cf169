//! The command-line tool: listing, bad input, and a clear error where there is no GPU.

use std::process::Command;

fn sdec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sdec")).args(args).output().expect("sdec runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn kernels_list_names_every_family_with_its_space() {
    let (code, out, _) = sdec(&["kernels", "list"]);
    assert_eq!(code, 0);
    for family in sdec_kernels::registry::names() {
        assert!(out.lines().any(|l| l.starts_with(family)), "{family} missing from:\n{out}");
    }
    let topk = sdec_kernels::registry::find("topk").unwrap();
    assert!(out.contains(&format!("topk {:>width$}", topk.space_size(), width = 22)) || out.contains(&topk.space_size().to_string()));
}

#[test]
fn unknown_family_lists_the_valid_ones() {
    let (code, _, err) = sdec(&["kernels", "compile", "--family", "flash"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown family `flash`") && err.contains("decode_attention"), "{err}");
}

#[test]
fn fuzz_without_gpu_says_so() {
    if sdec_runtime::gpu::driver_present() {
        eprintln!("skipped: fuzz_without_gpu_says_so: this machine has a CUDA driver");
        return;
    }
    let (code, _, err) = sdec(&["fuzz", "--cases", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no CUDA driver"), "{err}");
}

#[test]
fn bench_shape_filter_that_matches_nothing_lists_the_shapes() {
    // Checked before the GPU is opened, so it runs here too.
    let (code, _, err) = sdec(&["bench", "kernels", "--family", "gather_attention", "--shape", "no such shape"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no benchmark shape contains `no such shape`") && err.contains("4480 tokens"), "{err}");
}

#[test]
fn bench_decode_omit_names_its_stages() {
    // A stage that does not exist is refused by name, with the valid ones.
    let (code, _, err) = sdec(&["bench", "decode", "--omit", "rope,softmax"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'softmax'") && err.contains("gate-up") && err.contains("lm-head"), "{err}");
    if sdec_runtime::gpu::driver_present() {
        eprintln!("skipped: the no-GPU half of bench_decode_omit_names_its_stages: this machine has a CUDA driver");
        return;
    }
    // Valid stages get as far as the GPU.
    let (code, _, err) = sdec(&["bench", "decode", "--omit", "rope,attention"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no CUDA driver"), "{err}");
}
