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
fn bench_config_that_is_not_a_json_object_says_so() {
    // Parsed before the GPU is opened, so it runs here too.
    let (code, _, err) = sdec(&["bench", "kernels", "--family", "topk", "--config", "threads=512"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--config threads=512: not a JSON object"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
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

/// `sdec` compiles in worker processes (NVRTC does not run in parallel on threads of one
/// process): three workers over two families give the same report as the library's threads.
#[test]
fn kernels_compile_in_worker_processes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sdec"))
        .args(["kernels", "compile", "--family", "rmsnorm", "--family", "argmax"])
        .env("SDEC_COMPILE_WORKERS", "3")
        .output()
        .expect("run sdec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout {text} stderr {}", String::from_utf8_lossy(&out.stderr));
    use sdec_kernels::glue::{argmax_shapes, standard_shapes, Argmax, RmsNorm};
    use sdec_kernels::KernelFamily;
    // Every configuration at every standard shape of each family.
    let configs = Argmax::space().len() * argmax_shapes().len() + RmsNorm::space().len() * standard_shapes().len();
    assert!(text.contains(&format!("compiled {configs} configurations, 0 failed")), "{text}");
}

/// A worker answers every job frame in order — a CUBIN for a good source, NVRTC's log for a bad
/// one — and exits when its input ends.
#[test]
fn nvrtc_worker_answers_each_job() {
    use std::io::Write;
    let job = |source: &str, config: &str| {
        let json = format!(r#"{{"source":{source:?},"arch":"sm_90","family":"t","config":"{config}"}}"#);
        let mut frame = vec![0u8];
        frame.extend((json.len() as u64).to_le_bytes());
        frame.extend(json.as_bytes());
        frame
    };
    let mut input = job("extern \"C\" __global__ void k(float* x) { x[0] = 1.f; }", "good");
    input.extend(job("extern \"C\" __global__ void k() { undefined_name(); }", "bad"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sdec"))
        .arg("nvrtc-worker")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the worker");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "a worker exits cleanly at the end of its input");
    let frame = |at: usize| (out.stdout[at], u64::from_le_bytes(out.stdout[at + 1..at + 9].try_into().unwrap()) as usize);
    let (status, len) = frame(0);
    assert_eq!(status, 0, "a good source gives a CUBIN");
    assert_eq!(&out.stdout[9..13], b"\x7fELF", "a CUBIN is an ELF file");
    let (status, log_len) = frame(9 + len);
    assert_eq!(status, 1, "a bad source gives NVRTC's log");
    let log = String::from_utf8_lossy(&out.stdout[9 + len + 9..9 + len + 9 + log_len]);
    assert!(log.contains("undefined_name"), "{log}");
    assert_eq!(out.stdout.len(), 9 + len + 9 + log_len, "nothing after the last frame");
}
