//! The GPU decode loop: the model's weights in bf16 on the device, its KV cache, and one decode
//! step built from cuBLAS GEMMs and the generated kernel families (configurations from the
//! tuner's cache, or each family's default with one log line), under an attention policy of
//! sdec-model with the same meaning. [`check`] compares it step by step with the CPU reference;
//! [`bench`] times it.

pub mod bench;
pub mod blas;
pub mod check;
pub mod engine;
pub mod generate;
pub mod graph;
pub mod kv;
pub mod lfps;
pub mod lychee;
pub mod omit;
pub mod quest;
pub mod spec;
pub mod streaming;
pub mod tidal;
pub mod weights;

pub use engine::{Decoder, Gemm, SpecRound, StepKind, GPU_POLICIES};
pub use weights::GpuWeights;
