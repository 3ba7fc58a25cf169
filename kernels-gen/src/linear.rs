//! The decode step's linear layers as memory-bound matrix-vector products (`cuda/linear.cu`):
//! bf16 weights `[out, in]` times a few activation rows, fp32 accumulation, written as bf16,
//! fp32, added to the fp32 residual stream, as the SwiGLU of the MLP's interleaved gate/up rows,
//! or — for the q|k|v product — rotated by RoPE with k and v appended to the KV cache. The input
//! is bf16 rows or the RMSNorm of the residual stream computed on the fly, so neither the norms,
//! the SwiGLU nor RoPE need a kernel of their own. At batch 1–8 the weights are the whole cost, and a kernel
//! that only streams them beats a general GEMM. Reference: [`reference::linear`].

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// Largest batch: every lane keeps ROWS × BATCH accumulators.
pub const MAX_BATCH: u32 = 16;

/// How the result is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinearOut {
    Bf16,
    F32,
    /// `y += W x` on fp32 (a projection and its residual connection).
    AddF32,
    /// Rows interleaved as (gate_j, up_j): writes `silu(gate_j) · up_j` in fp32 to `[batch][out/2]`.
    SwiGlu,
    /// The q|k|v product of a Llama layer (`heads + 2·kv_heads` heads of `head_dim` rows) with
    /// each q and k head's rows in rotation pairs (dims i and i + head_dim/2 at rows 2i, 2i+1;
    /// see [`reference::pair_rotation_rows`]): q is rotated by RoPE and written as bf16
    /// `[batch][heads·head_dim]` in natural order, k is rotated and v copied into the KV cache at
    /// each row's position — what `glue::rope_append` does after a bf16 product, with the same
    /// roundings, and one launch a layer fewer.
    #[serde(rename = "rope_append")]
    RopeAppend { head_dim: u32, kv_heads: u32 },
}

impl LinearOut {
    /// The `OUT_MODE` constant `cuda/linear.cu` is rendered with.
    pub fn code(self) -> u32 {
        match self {
            LinearOut::Bf16 => 0,
            LinearOut::F32 => 1,
            LinearOut::AddF32 => 2,
            LinearOut::SwiGlu => 3,
            LinearOut::RopeAppend { .. } => 4,
        }
    }

    /// Whether rows come in pairs a warp must hold together (ROWS even).
    pub fn pairs_rows(self) -> bool {
        matches!(self, LinearOut::SwiGlu | LinearOut::RopeAppend { .. })
    }
}

/// What the input rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinearIn {
    /// bf16 `[batch][in]`.
    Bf16,
    /// fp32 `[batch][in]` (the MLP's SwiGLU activations).
    F32,
    /// The fp32 residual `[batch][in]` RMS-normalised with bf16 weights: `x / rms(x) · γ`, in fp32
    /// (it never goes to memory, so it is not rounded to bf16).
    RmsNorm,
}

impl LinearIn {
    /// The `IN_MODE` constant `cuda/linear.cu` is rendered with.
    pub fn code(self) -> u32 {
        match self {
            LinearIn::Bf16 => 0,
            LinearIn::F32 => 1,
            LinearIn::RmsNorm => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearShape {
    pub batch: u32,
    pub out_dim: u32,
    pub in_dim: u32,
    #[serde(default = "default_input")]
    pub input: LinearIn,
    pub out: LinearOut,
}

fn default_input() -> LinearIn {
    LinearIn::Bf16
}

impl Shape for LinearShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![("BATCH", Constant::U32(self.batch)), ("IN_MODE", Constant::U32(self.input.code())), ("OUT_MODE", Constant::U32(self.out.code()))]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        let fail = |reason: String| Err(ShapeError { family: "linear", reason });
        if self.batch == 0 || self.batch > MAX_BATCH {
            return fail(format!("batch {} is outside 1..={MAX_BATCH}", self.batch));
        }
        if self.out_dim == 0 || self.in_dim == 0 {
            return fail(format!("empty matrix ({} x {})", self.out_dim, self.in_dim));
        }
        if self.in_dim % 8 != 0 {
            return fail(format!("input width {} is not a multiple of 8 (16-byte loads)", self.in_dim));
        }
        if self.out == LinearOut::SwiGlu && self.out_dim % 2 != 0 {
            return fail(format!("SwiGLU output needs (gate, up) row pairs; {} rows is odd", self.out_dim));
        }
        if let LinearOut::RopeAppend { head_dim, kv_heads } = self.out {
            if head_dim == 0 || head_dim % 2 != 0 || kv_heads == 0 {
                return fail(format!("RoPE needs an even head dim and at least one KV head (head_dim {head_dim}, kv_heads {kv_heads})"));
            }
            let heads = (self.out_dim / head_dim).saturating_sub(2 * kv_heads);
            if self.out_dim % head_dim != 0 || heads == 0 || heads % kv_heads != 0 {
                return fail(format!(
                    "{} rows are not q|k|v heads of {head_dim} with {kv_heads} KV heads (and a whole number of q heads per KV head)",
                    self.out_dim
                ));
            }
        }
        Ok(())
    }
}

/// CTAs of `threads` threads: each warp `rows` output rows, or on tensor cores each CTA `rows`
/// tiles of 16 rows (its warps split the columns).
pub fn ctas(shape: &LinearShape, threads: u32, rows: u32, mma: u32) -> u32 {
    if mma == 1 {
        shape.out_dim.div_ceil(rows * 16)
    } else {
        shape.out_dim.div_ceil(threads / 32 * rows)
    }
}

sdec_dsl::kernel_family! {
    /// y = W x for a few rows x, streaming W once.
    pub family Linear {
        name = "linear";
        source = "cuda/linear.cu";
        shape = LinearShape;
        params {
            threads: u32 = [256, 128, 512],
            /// Output rows per warp (with `mma`: tiles of 16 rows).
            rows: u32 = [2, 1, 4],
            /// 16-byte loads per row and lane in flight (with `mma`: 32-column chunks).
            unroll: u32 = [4, 2, 8],
            /// Tensor cores (batch 2-16) instead of CUDA cores.
            mma: u32 = [0, 1],
        }
        constraints {
            threads % 32 == 0,
            // Tensor cores for several rows only, and always from 3 rows on (CUDA cores would
            // load every input row from L1 per weight chunk); batch 2 may take either.
            mma == 0 || shape.batch >= 2,
            mma == 1 || shape.batch <= 2,
            // Accumulators per lane (and the lanes that write them); weight registers in flight.
            mma == 1 || rows * shape.batch <= 32,
            rows * unroll <= 16,
            mma == 0 || rows * unroll <= 8,
            // Static shared memory of the tensor-core path: the warps' partial tiles.
            mma == 0 || (threads / 32) * rows * ((shape.batch + 7) / 8) * 512 <= 48 * 1024,
            // SwiGLU and rotation pairs stay within a warp (a tensor-core tile of 16 rows always
            // holds whole pairs).
            !shape.out.pairs_rows() || mma == 1 || rows % 2 == 0,
        }
        kernels {
            linear(grid = (ctas(shape, threads, rows, mma), 1, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B's projections at batch 1 as the decode step runs them (qkv and gate|up from the
/// normed residual, qkv to RoPE and the KV cache, gate|up to its SwiGLU, o and down added to the
/// residual, the LM head), SmolLM2's qkv at batch 2, the tensor-core path: the MLP at 7 rows
/// (SpecAttn's verification), o at batch 2, and qkv at 14 rows (the verification at batch 2:
/// two input tiles); and a plain bf16 qkv (Qwen3's, whose q/k norm keeps `rope_append`).
pub fn standard_shapes() -> Vec<LinearShape> {
    use {LinearIn as I, LinearOut as O};
    let llama_qkv = O::RopeAppend { head_dim: 128, kv_heads: 8 };
    [(1, 6144, 4096, I::RmsNorm, llama_qkv), (1, 4096, 4096, I::Bf16, O::AddF32), (1, 28672, 4096, I::RmsNorm, O::SwiGlu), (1, 4096, 14336, I::F32, O::AddF32), (1, 128256, 4096, I::RmsNorm, O::F32), (2, 960, 576, I::RmsNorm, O::RopeAppend { head_dim: 64, kv_heads: 3 }), (7, 28672, 4096, I::RmsNorm, O::SwiGlu), (7, 4096, 14336, I::F32, O::AddF32), (2, 4096, 4096, I::Bf16, O::AddF32), (14, 6144, 4096, I::RmsNorm, llama_qkv), (1, 6144, 4096, I::RmsNorm, O::Bf16)]
        .into_iter()
        .map(|(batch, out_dim, in_dim, input, out)| LinearShape { batch, out_dim, in_dim, input, out })
        .collect()
}

pub static ENTRY: Entry<Linear> = Entry { standard_shapes };

pub mod reference {
    /// The input rows `[batch][in]` the kernel multiplies, from what it is given: bf16 rows or
    /// fp32 residual rows normalised with `gamma`.
    pub fn input_rows(input: super::LinearIn, x: &[f32], in_dim: usize, gamma: &[f32], eps: f32) -> Vec<f32> {
        match input {
            super::LinearIn::Bf16 | super::LinearIn::F32 => x.to_vec(),
            super::LinearIn::RmsNorm => x
                .chunks(in_dim)
                .flat_map(|row| {
                    let ms = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / in_dim as f64;
                    let inv = 1.0 / (ms + eps as f64).sqrt();
                    row.iter().zip(gamma).map(move |(&v, &g)| (v as f64 * inv * g as f64) as f32)
                })
                .collect(),
        }
    }

    /// `silu(y[2j]) · y[2j+1]` of product rows whose rows are interleaved (gate, up) pairs.
    pub fn swiglu_pairs(y: &[f32]) -> Vec<f32> {
        y.chunks(2)
            .map(|p| {
                let g = p[0] as f64;
                (g / (1.0 + (-g).exp()) * p[1] as f64) as f32
            })
            .collect()
    }

    /// What the `rope_append` output stores for one row: `y` is the q|k|v product row (q and k
    /// heads in rotation pairs) as bf16 values; returns q and k rotated at `pos` (natural dim
    /// order, f64 angles and rotation) and v, each `[heads][head_dim]`.
    pub fn rope_append_row(y: &[f32], pos: i32, inv_freq: &[f64], head_dim: usize, kv_heads: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        use crate::glue::reference::{from_rotation_pairs, rope};
        let kv_dim = kv_heads * head_dim;
        let qk_dim = y.len() - kv_dim;
        let natural = from_rotation_pairs(&y[..qk_dim], 1, head_dim);
        let rotated = rope(&natural, &[pos], inv_freq, qk_dim / head_dim, head_dim);
        let q_dim = qk_dim - kv_dim;
        (rotated[..q_dim].to_vec(), rotated[q_dim..].to_vec(), y[qk_dim..].to_vec())
    }

    /// `y[b][o] = Σ_i w[o][i] x[b][i]` in f64 (`y0` added when given).
    /// Each output on its own thread (rayon): the tuner checks a configuration or two at a time
    /// while descent walks, so one check's reference is on its critical path.
    pub fn linear(w: &[f32], x: &[f32], out_dim: usize, in_dim: usize, y0: Option<&[f32]>) -> Vec<f32> {
        use rayon::prelude::*;
        let batch = x.len() / in_dim;
        (0..batch * out_dim)
            .into_par_iter()
            .map(|at| {
                let (b, o) = (at / out_dim, at % out_dim);
                let (row, xb) = (&w[o * in_dim..(o + 1) * in_dim], &x[b * in_dim..(b + 1) * in_dim]);
                let dot: f64 = row.iter().zip(xb).map(|(&a, &c)| a as f64 * c as f64).sum();
                (y0.map_or(0.0, |y0| y0[at] as f64) + dot) as f32
            })
            .collect()
    }
}
