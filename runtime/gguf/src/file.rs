//! [`GgufFile`]: an opened GGUF file (memory-mapped or in memory) with its
//! parsed metadata and tensor table.

use std::collections::HashMap;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

use crate::dequant::dequantize;
use crate::error::{GgufError, Result};
use crate::meta::{MetaValue, Metadata};
use crate::reader::parse_header;
use crate::tensor::{Tensor, TensorInfo};

/// Where the file's bytes live.
enum Storage {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Deref for Storage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }
}

/// A parsed GGUF file. Opening validates the whole header and that every
/// tensor of a known type lies inside the file; tensor data is read lazily.
pub struct GgufFile {
    bytes: Storage,
    version: u32,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    alignment: u64,
    data_offset: u64,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("len", &self.bytes.len())
            .field("version", &self.version)
            .field("metadata_keys", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .field("alignment", &self.alignment)
            .field("data_offset", &self.data_offset)
            .finish()
    }
}

macro_rules! delegate_getters {
    ($($name:ident -> $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Shorthand for [`Metadata::", stringify!($name), "`].")]
            pub fn $name(&self, key: &str) -> Result<$ty> {
                self.metadata.$name(key)
            }
        )*
    };
}

impl GgufFile {
    /// Memory-maps and parses the file at `path`.
    ///
    /// The map is read-only; as with any mmap, the file must not be truncated
    /// or rewritten by another process while this value lives.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io_err = |source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        // SAFETY: read-only private mapping; see the doc comment for the
        // (unavoidable) requirement that the file is not modified meanwhile.
        let map = unsafe { Mmap::map(&file) }.map_err(io_err)?;
        Self::from_storage(Storage::Mapped(map))
    }

    /// Parses a file held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        Self::from_storage(Storage::Owned(bytes))
    }

    fn from_storage(bytes: Storage) -> Result<Self> {
        let h = parse_header(&bytes)?;
        Ok(GgufFile {
            bytes,
            version: h.version,
            metadata: h.metadata,
            tensors: h.tensors,
            tensor_index: h.tensor_index,
            alignment: h.alignment,
            data_offset: h.data_offset,
        })
    }

    /// GGUF format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Alignment of tensor data (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Absolute byte offset where the tensor-data section starts.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// All metadata key/value pairs.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The raw metadata value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    delegate_getters!(
        get_u32 -> u32,
        get_u64 -> u64,
        get_i32 -> i32,
        get_usize -> usize,
        get_f32 -> f32,
        get_bool -> bool,
        get_str -> &str,
        get_str_array -> Vec<&str>,
        get_i64_array -> Vec<i64>,
        get_f32_array -> Vec<f32>,
    );

    /// The tensor table in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// Tensor names in file order.
    pub fn tensor_names(&self) -> Vec<&str> {
        self.tensors.iter().map(|t| t.name.as_str()).collect()
    }

    pub fn has_tensor(&self, name: &str) -> bool {
        self.tensor_index.contains_key(name)
    }

    /// The table entry for `name`.
    pub fn tensor_info(&self, name: &str) -> Result<&TensorInfo> {
        self.tensor_index
            .get(name)
            .and_then(|&i| self.tensors.get(i))
            .ok_or_else(|| GgufError::TensorNotFound {
                name: name.to_string(),
            })
    }

    /// The tensor's raw (still quantized) bytes, e.g. for upload to a GPU.
    /// Errors for tensors whose ggml type has an unknown size.
    pub fn tensor_bytes(&self, name: &str) -> Result<&[u8]> {
        let info = self.tensor_info(name)?;
        let n_bytes = info
            .n_bytes
            .ok_or_else(|| GgufError::UnsupportedTensorType {
                name: name.to_string(),
                ggml_type: info.ggml_type.name(),
            })?;
        let out_of_bounds = || GgufError::TensorOutOfBounds {
            name: name.to_string(),
            start: self.data_offset.saturating_add(info.offset),
            end: self
                .data_offset
                .saturating_add(info.offset)
                .saturating_add(n_bytes),
            file_len: self.bytes.len() as u64,
        };
        let start = self
            .data_offset
            .checked_add(info.offset)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(out_of_bounds)?;
        let end = usize::try_from(n_bytes)
            .ok()
            .and_then(|n| start.checked_add(n))
            .ok_or_else(out_of_bounds)?;
        self.bytes.get(start..end).ok_or_else(out_of_bounds)
    }

    /// Dequantizes tensor `name` to f32.
    ///
    /// The result is row-major with the GGUF dims reversed (see [`Tensor`]):
    /// a weight stored as `ne = [in, out]` has shape `[out, in]`.
    /// Supported types: F32, F16, BF16, Q8_0, Q4_0, Q4_1; others are
    /// [`GgufError::UnsupportedTensorType`] naming the tensor and type.
    pub fn tensor_f32(&self, name: &str) -> Result<Tensor> {
        let info = self.tensor_info(name)?;
        let bytes = self.tensor_bytes(name)?;
        let n = usize::try_from(info.n_elements).map_err(|_| GgufError::BadTensor {
            name: name.to_string(),
            reason: "element count exceeds usize".into(),
        })?;
        let data = dequantize(info.ggml_type, bytes, n, name)?;
        Ok(Tensor {
            shape: info.shape(),
            data,
        })
    }
}
