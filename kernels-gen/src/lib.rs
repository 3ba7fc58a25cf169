//! The kernel families of sdec, each declared once with `sdec_dsl::kernel_family!` beside its
//! ndarray reference. Pure Rust: renders CUDA source and computes references; needs no GPU.
//!
//! | family | module | what it computes |
//! | --- | --- | --- |
//! | `topk` | [`topk`] | exact top-k of fp32 rows by radix select |
//! | `block_score` | [`block_score`] | max-pooled group-mean q·K per block of tokens |
//! | `decode_attention` | [`attention`] | split-KV flash-decoding, optionally emitting block scores |
//! | `gather_attention` | [`attention`] | attention over per-head lists of tokens or blocks, dense and sparse heads in one launch |
//! | `chunk_attention` | [`attention::chunk`] | causal attention of a chunk of queries per sequence (verification, chunked prefill), on tensor cores |
//! | `lychee_index` | [`lychee`] | LycheeDecode's index buffer: retrieval picks in, sparse heads' token lists out |
//! | `spec` | [`spec`] | SpecAttn (Vegas): selection scores from the verify rows, draft token lists from their top-k |
//! | `quest` | [`quest`] | Quest: per-page key bounds beside the cache, page scores, page lists |
//! | `lfps` | [`lfps`] | LFPS: candidate scores from the last step's picks (vertical and slash) |
//! | `linear` | [`linear`] | the step's projections: bf16 weights times a few rows, streamed once |
//! | glue | [`glue`] | rmsnorm, rope, swiglu, kv append, argmax, embed, advance, synthetic weights |
//!
//! Beside them, [`logit_codes`]: SpecAttn's verify logits in 8 bits, which `chunk_attention`
//! writes and `spec` reads (layout, coding, reference).

// The DSL's generated code names this crate by its absolute path.
extern crate self as sdec_kernels;

pub mod attention;
pub mod block_score;
pub mod family;
pub mod glue;
pub mod lfps;
pub mod linear;
pub mod logit_codes;
pub mod lychee;
pub mod quest;
pub mod registry;
pub mod spec;
pub mod topk;

pub use family::{DeviceLimits, KernelFamily, KernelKey, LaunchSpec, Shape, ShapeError};
