//! GGUF v3 reader (module docs are completed in a later step).

mod arch;
mod chat_template;
mod dequant;
mod error;
mod file;
mod ggml_type;
mod meta;
mod qk_permute;
mod reader;
mod tensor;
mod tokenizer;

#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod test_writer;

pub use arch::{ArchParams, RopeScaling, SUPPORTED_ARCHS};
pub use chat_template::render_chat_template;
pub use dequant::dequantize;
pub use error::{GgufError, Result};
pub use file::GgufFile;
pub use ggml_type::GgmlType;
pub use meta::{MetaType, MetaValue, Metadata};
pub use qk_permute::unpermute_qk_rows;
pub use reader::{DEFAULT_ALIGNMENT, GGUF_MAGIC};
pub use tensor::{Tensor, TensorInfo};
pub use tokenizer::{chatml, token_type, Tokenizer};
