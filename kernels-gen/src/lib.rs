//! The kernel families of sdec, each declared once with `sdec_dsl::kernel_family!` beside its
//! ndarray reference. Pure Rust: renders CUDA source and computes references; needs no GPU.
//!
//! | family | module | what it computes |
//! | --- | --- | --- |
//! | `topk` | [`topk`] | exact top-k of fp32 rows by radix select |
//! | `block_score` | [`block_score`] | max-pooled group-mean q·K per block of tokens |
//! | `decode_attention` | [`attention`] | split-KV flash-decoding, optionally emitting block scores |
//! | `gather_attention` | [`attention`] | attention over per-head lists of tokens or blocks, dense and sparse heads in one launch |
//! | glue | [`glue`] | rmsnorm, rope, swiglu, kv append, argmax |

// The DSL's generated code names this crate by its absolute path.
extern crate self as sdec_kernels;

pub mod attention;
pub mod block_score;
pub mod family;
pub mod glue;
pub mod registry;
pub mod topk;

pub use family::{DeviceLimits, KernelFamily, KernelKey, LaunchSpec, Shape, ShapeError};
