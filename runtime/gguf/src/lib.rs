//! `sdec-gguf`: reading GGUF model files for the sdec reference model and
//! GPU runtime.
//!
//! GGUF (llama.cpp's model format) is a header, typed metadata key/values, a
//! tensor table and aligned tensor data. This crate provides:
//!
//! - **Reading** — [`GgufFile::open`] memory-maps a file (v2 or v3, little
//!   endian) and validates the header, metadata, tensor table and that every
//!   tensor lies inside the file; [`GgufFile::from_bytes`] does the same for
//!   bytes in memory. Malformed input is a [`GgufError`] naming the field or
//!   byte offset, never a panic.
//! - **Metadata** — [`GgufFile::get`] for raw [`MetaValue`]s and typed getters
//!   ([`GgufFile::get_u32`], [`GgufFile::get_f32`], [`GgufFile::get_str`],
//!   [`GgufFile::get_str_array`], ... and more on [`Metadata`]) that fail with
//!   the key's name when it is missing or of another type.
//! - **Tensors** — [`GgufFile::tensor_names`], [`GgufFile::tensor_info`]
//!   ([`TensorInfo`]: GGUF dims, [`GgmlType`], offset, size),
//!   [`GgufFile::tensor_bytes`] (raw quantized bytes, for GPU upload) and
//!   [`GgufFile::tensor_f32`], which dequantizes F32, F16, BF16, Q8_0, Q4_0
//!   and Q4_1 into a [`Tensor`].
//! - **Layout** — GGUF lists dims fastest-varying first (`ne[0]`). A
//!   [`Tensor`] has them reversed so its data is plain row-major: a weight
//!   stored with `ne = [in, out]` comes back with `shape = [out, in]`
//!   (PyTorch's `nn.Linear` layout, `y = W x`).
//! - **Q/K rows** — llama.cpp permutes the rows of llama `attn_q`/`attn_k`
//!   weights for its rope; [`unpermute_qk_rows`] restores Hugging Face order
//!   for rotate-half rope ([`ArchParams::qk_rows_permuted`] says when).
//! - **Hyper-parameters** — [`ArchParams::from_gguf`] reads the `{arch}.*`
//!   keys of `llama` and `qwen3` files.
//! - **Tokenizer** — [`Tokenizer::from_gguf`] builds the GPT-2 byte-level BPE
//!   tokenizer stored in `tokenizer.ggml.*` (with the `smollm`, `gpt2`,
//!   `qwen2` and `llama-bpe` pre-tokenizers); [`Tokenizer::encode`] matches
//!   control tokens such as `<|im_start|>` whole; [`Tokenizer::decode`];
//!   [`Tokenizer::apply_chat_template`] renders the file's Jinja chat template.
//!
//! ```no_run
//! use sdec_gguf::{ArchParams, GgufFile, Tokenizer, unpermute_qk_rows};
//!
//! # fn main() -> sdec_gguf::Result<()> {
//! let file = GgufFile::open(".sdec/models/SmolLM2-135M-Instruct.Q4_1.gguf")?;
//! let params = ArchParams::from_gguf(&file)?;
//! let mut wq = file.tensor_f32("blk.0.attn_q.weight")?; // shape [576, 576]
//! if params.qk_rows_permuted {
//!     unpermute_qk_rows(&mut wq, params.n_head)?;
//! }
//! let tok = Tokenizer::from_gguf(&file)?;
//! let prompt = tok.apply_chat_template(&[("user", "Hi!")], true)?;
//! let ids = tok.encode(&prompt)?;
//! assert_eq!(tok.decode(&ids), prompt);
//! # Ok(())
//! # }
//! ```

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

#[cfg(test)]
mod thread_safety {
    /// The runtime shares these across threads; keep them Send + Sync.
    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<crate::GgufFile>();
        check::<crate::Tokenizer>();
        check::<crate::Tensor>();
        check::<crate::GgufError>();
    }
}
