//! Parsing of the GGUF header, metadata and tensor table from a byte buffer.
//!
//! Layout (little-endian), per the GGUF spec:
//! `"GGUF"`, u32 version, u64 tensor_count, u64 kv_count, then kv_count pairs
//! `(string key, u32 type, value)`, then tensor_count infos
//! `(string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)`,
//! then padding to `general.alignment` (default 32) where tensor data starts.
//! Strings are `u64 length + UTF-8 bytes`; arrays are
//! `u32 elem_type + u64 count + elements`.
//!
//! Every read is bounds-checked and every size computation is checked, so a
//! malformed buffer produces an error, never a panic or a huge allocation.

use std::collections::HashMap;

use crate::error::{GgufError, Result};
use crate::ggml_type::GgmlType;
use crate::meta::{MetaType, MetaValue, Metadata};
use crate::tensor::TensorInfo;

/// The 4 magic bytes at offset 0.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions.
pub const MAX_DIMS: u32 = 4;
/// Nested arrays deeper than this are rejected (guards the recursion).
const MAX_ARRAY_DEPTH: u32 = 8;

/// Everything before the tensor data, parsed and validated.
#[derive(Debug)]
pub(crate) struct Header {
    pub version: u32,
    pub metadata: Metadata,
    pub tensors: Vec<TensorInfo>,
    pub tensor_index: HashMap<String, usize>,
    pub alignment: u64,
    pub data_offset: u64,
}

/// A bounds-checked little-endian reader over a byte slice.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos.min(self.buf.len())) as u64
    }

    /// Takes `n` bytes or reports which field was truncated.
    fn take(&mut self, n: u64, what: &dyn Fn() -> String) -> Result<&'a [u8]> {
        let truncated = || GgufError::Truncated {
            what: what(),
            offset: self.offset(),
            needed: n,
            len: self.buf.len() as u64,
        };
        let n_usize = usize::try_from(n).map_err(|_| truncated())?;
        let end = self.pos.checked_add(n_usize).ok_or_else(truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &dyn Fn() -> String) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &dyn Fn() -> String) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A GGUF string: u64 length, then that many UTF-8 bytes.
    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String> {
        let start = self.offset();
        let len = self.u64(&|| format!("length of {}", what()))?;
        if len > self.remaining() {
            return Err(GgufError::BadString {
                what: what(),
                offset: start,
                reason: format!(
                    "length {len} exceeds the {} bytes left in the file",
                    self.remaining()
                ),
            });
        }
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|e| GgufError::BadString {
            what: what(),
            offset: start,
            reason: format!("invalid UTF-8: {e}"),
        })
    }
}

/// Parses and validates everything up to the tensor data; also checks that
/// every tensor of a known type lies inside `buf`.
pub(crate) fn parse_header(buf: &[u8]) -> Result<Header> {
    let mut c = Cursor { buf, pos: 0 };
    let magic: [u8; 4] = c.array(&|| "magic".into())?;
    if magic != GGUF_MAGIC {
        return Err(GgufError::BadMagic { found: magic });
    }
    let version = c.u32(&|| "version".into())?;
    // v2 and v3 share the little-endian layout (v3 only added big-endian files,
    // which announce themselves with a byte-swapped version and fail here).
    if version != 2 && version != 3 {
        return Err(GgufError::UnsupportedVersion { version });
    }
    let tensor_count = c.u64(&|| "tensor_count".into())?;
    let kv_count = c.u64(&|| "metadata_kv_count".into())?;

    let mut metadata = Metadata::default();
    for i in 0..kv_count {
        let key_offset = c.offset();
        let key = c.string(&|| format!("key of metadata pair #{i}"))?;
        let type_offset = c.offset();
        let type_id = c.u32(&|| format!("value type of {key:?}"))?;
        let ty = MetaType::from_id(type_id).ok_or_else(|| GgufError::UnknownMetadataType {
            key: key.clone(),
            type_id,
            offset: type_offset,
        })?;
        let value = read_value(&mut c, &key, ty, 0)?;
        metadata.insert(key, value, key_offset)?;
    }

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(_) => {
            let a = metadata.get_u64("general.alignment")?;
            if a == 0 || !a.is_power_of_two() {
                return Err(GgufError::BadMetadata {
                    key: "general.alignment".into(),
                    offset: 0,
                    reason: format!("alignment {a} is not a power of two"),
                });
            }
            a
        }
    };

    // Capacity bounded by what the remaining bytes could hold (an info is at
    // least 8 + 4 + 4 + 8 bytes), so a lying count cannot force a huge alloc.
    let max_infos = c.remaining() / 24;
    let mut tensors = Vec::with_capacity(tensor_count.min(max_infos) as usize);
    let mut tensor_index = HashMap::new();
    for i in 0..tensor_count {
        let info = read_tensor_info(&mut c, i, alignment)?;
        if tensor_index
            .insert(info.name.clone(), tensors.len())
            .is_some()
        {
            return Err(GgufError::BadTensor {
                name: info.name,
                reason: "duplicate tensor name".into(),
            });
        }
        tensors.push(info);
    }

    let data_offset = align_up(c.offset(), alignment).ok_or_else(|| GgufError::Truncated {
        what: "alignment padding before tensor data".into(),
        offset: c.offset(),
        needed: alignment,
        len: buf.len() as u64,
    })?;
    let file_len = buf.len() as u64;
    if !tensors.is_empty() && data_offset > file_len {
        return Err(GgufError::Truncated {
            what: "alignment padding before tensor data".into(),
            offset: c.offset(),
            needed: data_offset - c.offset(),
            len: file_len,
        });
    }
    for t in &tensors {
        if let Some(n_bytes) = t.n_bytes {
            let out_of_bounds = || GgufError::TensorOutOfBounds {
                name: t.name.clone(),
                start: data_offset.saturating_add(t.offset),
                end: data_offset.saturating_add(t.offset).saturating_add(n_bytes),
                file_len,
            };
            let start = data_offset
                .checked_add(t.offset)
                .ok_or_else(out_of_bounds)?;
            let end = start.checked_add(n_bytes).ok_or_else(out_of_bounds)?;
            if end > file_len {
                return Err(out_of_bounds());
            }
        }
    }

    Ok(Header {
        version,
        metadata,
        tensors,
        tensor_index,
        alignment,
        data_offset,
    })
}

fn align_up(x: u64, alignment: u64) -> Option<u64> {
    Some(x.checked_add(alignment - 1)? / alignment * alignment)
}

/// Smallest on-disk size of one element of `ty` (used to bound array counts).
fn min_encoded_size(ty: MetaType) -> u64 {
    use MetaType::*;
    match ty {
        U8 | I8 | Bool => 1,
        U16 | I16 => 2,
        U32 | I32 | F32 => 4,
        U64 | I64 | F64 => 8,
        String => 8,    // length prefix
        Array => 4 + 8, // elem type + count
    }
}

fn read_value(c: &mut Cursor<'_>, key: &str, ty: MetaType, depth: u32) -> Result<MetaValue> {
    let what = || format!("value of {key:?}");
    Ok(match ty {
        MetaType::U8 => MetaValue::U8(c.u8(&what)?),
        MetaType::I8 => MetaValue::I8(c.u8(&what)? as i8),
        MetaType::U16 => MetaValue::U16(c.u16(&what)?),
        MetaType::I16 => MetaValue::I16(c.u16(&what)? as i16),
        MetaType::U32 => MetaValue::U32(c.u32(&what)?),
        MetaType::I32 => MetaValue::I32(c.u32(&what)? as i32),
        MetaType::F32 => MetaValue::F32(f32::from_bits(c.u32(&what)?)),
        MetaType::U64 => MetaValue::U64(c.u64(&what)?),
        MetaType::I64 => MetaValue::I64(c.u64(&what)? as i64),
        MetaType::F64 => MetaValue::F64(f64::from_bits(c.u64(&what)?)),
        MetaType::Bool => {
            let offset = c.offset();
            match c.u8(&what)? {
                0 => MetaValue::Bool(false),
                1 => MetaValue::Bool(true),
                b => {
                    return Err(GgufError::BadMetadata {
                        key: key.into(),
                        offset,
                        reason: format!("bool byte {b} is neither 0 nor 1"),
                    })
                }
            }
        }
        MetaType::String => MetaValue::String(c.string(&what)?),
        MetaType::Array => {
            let offset = c.offset();
            if depth >= MAX_ARRAY_DEPTH {
                return Err(GgufError::BadMetadata {
                    key: key.into(),
                    offset,
                    reason: format!("arrays nested deeper than {MAX_ARRAY_DEPTH}"),
                });
            }
            let type_id = c.u32(&|| format!("array element type of {key:?}"))?;
            let elem_type =
                MetaType::from_id(type_id).ok_or_else(|| GgufError::UnknownMetadataType {
                    key: key.into(),
                    type_id,
                    offset,
                })?;
            let count_offset = c.offset();
            let count = c.u64(&|| format!("array length of {key:?}"))?;
            let min_bytes = count.checked_mul(min_encoded_size(elem_type));
            if min_bytes.is_none_or(|b| b > c.remaining()) {
                return Err(GgufError::Truncated {
                    what: format!("{count} array elements of {key:?}"),
                    offset: count_offset + 8,
                    needed: min_bytes.unwrap_or(u64::MAX),
                    len: c.buf.len() as u64,
                });
            }
            // count <= remaining bytes, so this allocation is bounded by the file.
            let mut values = Vec::with_capacity(count as usize);
            for _ in 0..count {
                values.push(read_value(c, key, elem_type, depth + 1)?);
            }
            MetaValue::Array { elem_type, values }
        }
    })
}

fn read_tensor_info(c: &mut Cursor<'_>, index: u64, alignment: u64) -> Result<TensorInfo> {
    let name = c.string(&|| format!("name of tensor #{index}"))?;
    let bad = |reason: String| GgufError::BadTensor {
        name: name.clone(),
        reason,
    };
    let n_dims = c.u32(&|| format!("n_dims of tensor {name:?}"))?;
    if n_dims > MAX_DIMS {
        return Err(bad(format!("{n_dims} dimensions (at most {MAX_DIMS})")));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for d in 0..n_dims {
        dims.push(c.u64(&|| format!("ne[{d}] of tensor {name:?}"))?);
    }
    let ggml_type = GgmlType::from_id(c.u32(&|| format!("type of tensor {name:?}"))?);
    let offset = c.u64(&|| format!("data offset of tensor {name:?}"))?;
    if offset % alignment != 0 {
        return Err(bad(format!(
            "data offset {offset} is not a multiple of the alignment {alignment}"
        )));
    }
    let n_elements = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("element count of dims {dims:?} overflows")))?;
    let n_bytes = match ggml_type.block_layout() {
        None => None,
        Some((block_elems, block_bytes)) => {
            let ne0 = dims.first().copied().unwrap_or(1);
            if ne0 % block_elems != 0 {
                return Err(bad(format!(
                    "ne[0] = {ne0} is not a multiple of the {ggml_type} block size {block_elems}"
                )));
            }
            let n = (n_elements / block_elems)
                .checked_mul(block_bytes)
                .ok_or_else(|| bad("byte size overflows".into()))?;
            Some(n)
        }
    };
    Ok(TensorInfo {
        name,
        dims,
        ggml_type,
        offset,
        n_elements,
        n_bytes,
    })
}
