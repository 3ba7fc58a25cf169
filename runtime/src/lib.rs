//! The sdec runtime: GPU discovery, NVRTC compilation, the launchers of every kernel family,
//! the fuzzer that checks them against their references, and kernel benchmarks.

pub mod bench;
pub mod cli_heads;
pub mod cli_model;
pub mod compile_all;
pub mod error;
pub mod fuzz;
pub mod gpu;
pub mod launch;
pub mod nvrtc;
pub mod tune;
pub mod tuned;

pub use error::{Result, SdecError};
