//! The one error type of the crate: library code returns it instead of panicking.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("unknown model preset `{0}` (valid: {1})")]
    UnknownPreset(String, String),
    #[error("invalid model config: {0}")]
    Config(String),
    #[error("weight `{name}`: expected shape {expected:?}, got {got:?}")]
    Shape {
        name: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    #[error("token id {id} out of range (vocab {vocab})")]
    TokenOutOfRange { id: u32, vocab: usize },
    #[error("KV cache full: need {need} positions, capacity {capacity}")]
    CacheFull { need: usize, capacity: usize },
    #[error("context length {need} exceeds the model's max_context {max}")]
    ContextTooLong { need: usize, max: usize },
    #[error("unknown attention policy `{0}` (valid: {1})")]
    UnknownPolicy(String, String),
    #[error("policy `{policy}`: unknown key `{key}` (valid: {valid})")]
    UnknownPolicyKey {
        policy: String,
        key: String,
        valid: String,
    },
    #[error("policy `{policy}`: bad value `{value}` for `{key}`: {why}")]
    BadPolicyValue {
        policy: String,
        key: String,
        value: String,
        why: String,
    },
    #[error("policy `{policy}`: {why}")]
    Policy { policy: String, why: String },
    #[error("empty input: {0}")]
    Empty(String),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("json error in {path}: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("model file: {0}")]
    Load(String),
    #[error("gguf: {0}")]
    Gguf(#[from] sdec_gguf::GgufError),
}

pub type Result<T> = std::result::Result<T, ModelError>;
