//! The crate's error type. Every variant names the field, key, tensor or byte
//! offset involved so that a bad file can be diagnosed from the message alone.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = GgufError> = std::result::Result<T, E>;

/// Everything that can go wrong reading a GGUF file or using its contents.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("truncated file: {what} needs {needed} bytes at offset {offset}, file has {len}")]
    Truncated {
        what: String,
        offset: u64,
        needed: u64,
        len: u64,
    },

    #[error("bad magic {found:02x?} at offset 0 (expected \"GGUF\")")]
    BadMagic { found: [u8; 4] },

    #[error("unsupported GGUF version {version} at offset 4 (supported: 2, 3)")]
    UnsupportedVersion { version: u32 },

    #[error("bad string for {what} at offset {offset}: {reason}")]
    BadString {
        what: String,
        offset: u64,
        reason: String,
    },

    #[error("unknown metadata value type {type_id} for key {key:?} at offset {offset}")]
    UnknownMetadataType {
        key: String,
        type_id: u32,
        offset: u64,
    },

    #[error("malformed metadata {key:?} at offset {offset}: {reason}")]
    BadMetadata {
        key: String,
        offset: u64,
        reason: String,
    },

    #[error("bad tensor {name:?}: {reason}")]
    BadTensor { name: String, reason: String },

    #[error(
        "tensor {name:?} out of bounds: bytes {start}..{end} (absolute) but file has {file_len}"
    )]
    TensorOutOfBounds {
        name: String,
        start: u64,
        end: u64,
        file_len: u64,
    },

    #[error("no tensor named {name:?}")]
    TensorNotFound { name: String },

    #[error("tensor {name:?} has ggml type {ggml_type}, which cannot be dequantized")]
    UnsupportedTensorType { name: String, ggml_type: String },

    #[error("metadata key {key:?} is missing")]
    MissingKey { key: String },

    #[error("metadata key {key:?} has type {found}, expected {expected}")]
    WrongType {
        key: String,
        expected: &'static str,
        found: String,
    },

    #[error("unsupported architecture {arch:?} (supported: llama, qwen3)")]
    UnsupportedArch { arch: String },

    #[error("invalid shape: {reason}")]
    Shape { reason: String },

    #[error("tokenizer: {reason}")]
    Tokenizer { reason: String },

    #[error("chat template: {reason}")]
    ChatTemplate { reason: String },
}
