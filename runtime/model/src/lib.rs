//! `sdec-model`: the ndarray (CPU, f32) reference of Llama-family and Qwen3 decoding with every sparse
//! attention policy — the oracle GPU results are checked against, and the one place where each method's
//! semantics is defined.

// `is_multiple_of` is newer than the workspace MSRV (1.80).
#![allow(clippy::manual_is_multiple_of)]

pub mod attention;
pub mod config;
pub mod error;
pub mod kv_cache;
pub mod model;
pub mod ops;
pub mod policies;
pub mod select;
pub mod synthetic;
pub mod weights;

pub use attention::Selection;
pub use config::{Arch, ModelConfig, RopeScaling};
pub use error::{ModelError, Result};
pub use kv_cache::KvCache;
pub use model::{DecodeOutput, LogitRows, Model, ProbCapture};
pub use policies::{AttentionPolicy, HeadCtx, PolicySpec, PolicyStepStats};
pub use weights::{LayerWeights, ModelWeights};
pub mod generate;
pub use generate::{
    generate, generate_from, generate_with, prefill_prompt, prefill_prompt_with, GenerateOptions,
    GenerateReport, Prefilled, Progress,
};
pub mod loader;
pub use loader::{find_model_file, load_gguf, load_model, model_dir};
pub use sdec_gguf::Tokenizer;
pub mod passkey;
pub use passkey::{
    build_passkey, run_passkey, run_passkey_from, stop_tokens, PasskeyResult, PasskeyTask,
};
