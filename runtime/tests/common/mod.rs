//! What the command-line tests share: running the built `sdec` and checking its one-line errors.

#![allow(dead_code)] // each test binary uses its own subset

use std::process::{Command, Output};

/// The GGUF file `scripts/setup.sh` fetches.
pub const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

pub fn sdec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdec")).args(args).output().expect("run sdec")
}

pub fn sdec_env(args: &[&str], key: &str, val: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdec")).args(args).env(key, val).output().expect("run sdec")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2, one `error:` line containing every `needles`, and no panic.
pub fn assert_error(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr: {e}");
    assert!(e.starts_with("error: "), "stderr: {e}");
    assert!(!e.contains("panicked"), "panic: {e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks `{n}`: {e}");
    }
}
