//! Tensor descriptions from the GGUF tensor table and dequantized tensors.

use crate::ggml_type::GgmlType;

/// One entry of the tensor table, as stored in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions in GGUF/ggml order: `dims[0]` (ne\[0\]) varies fastest in
    /// memory. A linear weight `y = W x` with `x` of length `in` and `y` of
    /// length `out` is stored as `dims = [in, out]`.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset of the data relative to the start of the tensor-data section.
    pub offset: u64,
    /// Product of `dims` (1 for a 0-dimensional tensor).
    pub n_elements: u64,
    /// Size of the data in bytes; `None` when the type's block layout is unknown.
    pub n_bytes: Option<u64>,
}

impl TensorInfo {
    /// The shape in row-major (C) order, i.e. `dims` reversed: a weight with
    /// `dims = [in, out]` has shape `[out, in]`.
    pub fn shape(&self) -> Vec<usize> {
        // Every dim fits usize: the reader checked the bytes lie inside the file
        // (or the type is unknown, in which case this shape is never used to
        // allocate). Saturate rather than panic on 32-bit hosts.
        self.dims
            .iter()
            .rev()
            .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
            .collect()
    }
}

/// A dequantized tensor: f32 values in row-major order for [`Tensor::shape`].
///
/// `shape` is the GGUF dimension list reversed (`[ne[n-1], ..., ne[0]]`), so
/// the last axis is the fastest-varying one and `data` needs no reordering:
/// a 2-D weight stored with `ne = [in, out]` comes back as shape `[out, in]`,
/// one output row of `in` values after another (the PyTorch `nn.Linear`
/// layout). A 1-D tensor has shape `[ne[0]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    /// Number of rows (the first axis) of a tensor with at least one axis.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Number of values per row (product of all axes after the first).
    pub fn cols(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// Row `r` as a slice, if it exists.
    pub fn row(&self, r: usize) -> Option<&[f32]> {
        let c = self.cols();
        self.data
            .get(r.checked_mul(c)?..r.checked_add(1)?.checked_mul(c)?)
    }
}
