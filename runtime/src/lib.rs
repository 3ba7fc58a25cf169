//! The sdec runtime: GPU discovery, NVRTC compilation, the launchers of every kernel family,
//! the fuzzer that checks them against their references, kernel benchmarks, and the GPU decode
//! loop with its check against the CPU reference.

pub mod bench;
pub mod cli_decode;
pub mod cli_heads;
pub mod cli_model;
pub mod compile_all;
pub mod decode;
pub mod error;
pub mod fuzz;
pub mod gpu;
pub mod launch;
pub mod nvrtc;
pub mod nvrtc_pool;
pub mod tune;
pub mod tuned;

pub use error::{Result, SdecError};

/// Writes `value` as pretty JSON, naming the file when it cannot.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| SdecError::Invalid(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| SdecError::Invalid(format!("cannot write {}: {e}", path.display())))
}
