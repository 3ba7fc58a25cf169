//! Test-only GGUF writer: builds small valid files in memory so that the reader
//! can be tested without the real model (and corrupted byte by byte).

use crate::ggml_type::GgmlType;
use crate::meta::{MetaType, MetaValue};

fn type_id(t: MetaType) -> u32 {
    (0..13).find(|&i| MetaType::from_id(i) == Some(t)).unwrap()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.push(*x as u8),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(*x as u8),
        MetaValue::String(s) => put_str(out, s),
        MetaValue::Array { elem_type, values } => {
            out.extend_from_slice(&type_id(*elem_type).to_le_bytes());
            out.extend_from_slice(&(values.len() as u64).to_le_bytes());
            for e in values {
                put_value(out, e);
            }
        }
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
    }
}

/// One tensor to write: name, GGUF dims (ne\[0\] first), type, encoded bytes.
pub struct TestTensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    pub bytes: Vec<u8>,
}

/// Serializes a GGUF v3 file. The alignment is read from `general.alignment`
/// if present (u32), else 32. The file ends right after the last tensor.
pub fn write_gguf(metadata: &[(&str, MetaValue)], tensors: &[TestTensor]) -> Vec<u8> {
    let alignment = metadata
        .iter()
        .find_map(|(k, v)| match (k, v) {
            (&"general.alignment", MetaValue::U32(a)) => Some(*a as usize),
            _ => None,
        })
        .unwrap_or(32);
    let align = |x: usize| x.div_ceil(alignment) * alignment;

    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (k, v) in metadata {
        put_str(&mut out, k);
        out.extend_from_slice(&type_id(v.meta_type()).to_le_bytes());
        put_value(&mut out, v);
    }
    let mut offset = 0usize;
    let mut offsets = vec![];
    for t in tensors {
        put_str(&mut out, &t.name);
        out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        for d in &t.dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&t.ggml_type.id().to_le_bytes());
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        offsets.push(offset);
        offset = align(offset + t.bytes.len());
    }
    let data_start = align(out.len());
    out.resize(data_start, 0);
    for (t, off) in tensors.iter().zip(offsets) {
        out.resize(data_start + off, 0);
        out.extend_from_slice(&t.bytes);
    }
    out
}

/// Little-endian f32 bytes.
pub fn f32_bytes(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn str_array(items: &[&str]) -> MetaValue {
    MetaValue::Array {
        elem_type: MetaType::String,
        values: items
            .iter()
            .map(|s| MetaValue::String(s.to_string()))
            .collect(),
    }
}
