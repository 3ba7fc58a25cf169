//! Glue of the decode step (`cuda/glue.cu`; argmax in `cuda/argmax.cu`): rmsnorm, rope, swiglu,
//! kv append, argmax. Simple templates through the same NVRTC path; references beside each.

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// `rows` rows of `n` elements (rmsnorm: hidden; swiglu: ffn; argmax: vocab; rope: heads*head_dim
/// with `head_dim`; kv append: rows = batch*kv_heads, n = head_dim, `capacity` slots; embed: rows =
/// batch, n = hidden; rope_append: rows = batch, n = (heads + 2·kv_heads)·head_dim, `capacity`
/// slots). `advance` and `synth_weights` take `rows` as their number of CTAs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowShape {
    pub rows: u32,
    pub n: u32,
    pub head_dim: u32,
    pub capacity: u32,
}

impl Shape for RowShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        Vec::new()
    }

    fn validate(&self) -> Result<(), ShapeError> {
        if self.rows == 0 || self.n == 0 {
            return Err(ShapeError { family: "glue", reason: format!("empty input ({} rows of {})", self.rows, self.n) });
        }
        if self.head_dim % 2 != 0 || (self.head_dim > 0 && self.n % self.head_dim != 0) {
            return Err(ShapeError { family: "glue", reason: format!("row of {} does not split into heads of {}", self.n, self.head_dim) });
        }
        Ok(())
    }
}

macro_rules! glue_family {
    ($family:ident, $entry:ident, $name:literal, $kernel:ident, $doc:literal) => {
        sdec_dsl::kernel_family! {
            #[doc = $doc]
            pub family $family {
                name = $name;
                source = "cuda/glue.cu";
                shape = RowShape;
                params {
                    threads: u32 = [256, 128, 512],
                }
                constraints {
                    threads % 32 == 0,
                }
                kernels {
                    $kernel(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
                }
            }
        }
        pub static $entry: Entry<$family> = Entry { standard_shapes };
    };
}

glue_family!(RmsNorm, RMSNORM_ENTRY, "rmsnorm", rmsnorm, "RMSNorm of the fp32 residual stream to bf16.");
glue_family!(Rope, ROPE_ENTRY, "rope", rope, "Rotate-half RoPE in place.");
glue_family!(Swiglu, SWIGLU_ENTRY, "swiglu", swiglu, "silu(gate) * up.");
glue_family!(KvAppend, KV_APPEND_ENTRY, "kv_append", kv_append, "Append a token's K and V to the cache.");
sdec_dsl::kernel_family! {
    /// Greedy token: argmax of each row of logits (rows = tokens, n = vocab). `ctas` CTAs share
    /// a row (one CTA took 8 µs for Llama's 128K-entry vocabulary, a few of the step's
    /// microseconds after the LM head); the last of them to finish merges their winners.
    pub family Argmax {
        name = "argmax";
        source = "cuda/argmax.cu";
        shape = RowShape;
        params {
            threads: u32 = [256, 128, 512],
            ctas: u32 = [16, 1, 8, 32, 64],
        }
        constraints {
            threads % 32 == 0,
        }
        kernels {
            argmax(grid = (ctas, shape.rows, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Most CTAs an argmax row is split over (the largest `ctas` candidate): a row's share of the
/// partial winners the runtime allocates.
pub const MAX_ARGMAX_CTAS: u32 = 64;

/// Llama-3.1-8B's vocabulary at one row (a decode step) and seven (SpecAttn's verification).
pub fn argmax_shapes() -> Vec<RowShape> {
    [1, 7].into_iter().map(|rows| RowShape { rows, n: 128_256, head_dim: 0, capacity: 0 }).collect()
}

pub static ARGMAX_ENTRY: Entry<Argmax> = Entry { standard_shapes: argmax_shapes };
sdec_dsl::kernel_family! {
    /// RoPE of q and k from the fused qkv projection, and K/V appended to the cache, in one
    /// kernel: a CTA per (token row, head of the row); rows = tokens, n = the row's width. The
    /// q and k heads arrive with their dims in rotation pairs ([`reference::rotation_pair_order`]),
    /// as the decode loop's weights give them. (Llama's decode loop does this in the q|k|v
    /// product itself, `linear`'s `rope_append` output; Qwen3's q/k norm needs whole heads.)
    pub family RopeAppend {
        name = "rope_append";
        source = "cuda/glue.cu";
        shape = RowShape;
        params {
            threads: u32 = [64, 128, 32],
        }
        constraints {
            threads % 32 == 0,
            shape.head_dim > 0,
        }
        kernels {
            rope_append(grid = (shape.rows, shape.n / shape.head_dim, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}
pub static ROPE_APPEND_ENTRY: Entry<RopeAppend> = Entry { standard_shapes };

glue_family!(Embed, EMBED_ENTRY, "embed", embed, "Embedding rows of the step's tokens into the fp32 residual stream.");
glue_family!(Advance, ADVANCE_ENTRY, "advance", advance, "Every sequence one position on (rows = CTAs).");
glue_family!(Spin, SPIN_ENTRY, "spin", spin, "Keeps the GPU busy for a while (rows = 1): a timed run is enqueued behind it, so its start event does not wait for the host's launches.");
glue_family!(SynthWeights, SYNTH_ENTRY, "synth_weights", synth_weights, "Synthetic weights from a seed, as sdec-model generates them (rows = CTAs of a grid-stride loop).");

pub fn standard_shapes() -> Vec<RowShape> {
    vec![RowShape { rows: 1, n: 4096, head_dim: 128, capacity: 131072 }]
}

pub mod reference {
    //! References of the glue kernels, in f64 where it matters.

    pub fn rmsnorm(x: &[f32], w: &[f32], n: usize, eps: f32) -> Vec<f32> {
        x.chunks(n)
            .flat_map(|row| {
                let ms = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / n as f64;
                let inv = 1.0 / (ms + eps as f64).sqrt();
                row.iter().zip(w).map(move |(&v, &g)| (v as f64 * inv * g as f64) as f32)
            })
            .collect()
    }

    /// Rotate-half RoPE of rows [heads][head_dim] at `pos[row]`.
    pub fn rope(x: &[f32], pos: &[i32], inv_freq: &[f64], heads: usize, head_dim: usize) -> Vec<f32> {
        let half = head_dim / 2;
        let mut out = x.to_vec();
        for (r, &p) in pos.iter().enumerate() {
            for h in 0..heads {
                let base = (r * heads + h) * head_dim;
                for i in 0..half {
                    let angle = p as f64 * inv_freq[i];
                    let (s, c) = angle.sin_cos();
                    let (a, b) = (x[base + i] as f64, x[base + i + half] as f64);
                    out[base + i] = (a * c - b * s) as f32;
                    out[base + i + half] = (b * c + a * s) as f32;
                }
            }
        }
        out
    }

    /// Where each dim of a head sits when its rows are in rotation pairs: position 2i holds dim
    /// i and 2i+1 dim i + head_dim/2, so the two values RoPE rotates together are neighbours (a
    /// warp of `linear` owns both). `order[position] = dim`.
    pub fn rotation_pair_order(head_dim: usize) -> Vec<usize> {
        let half = head_dim / 2;
        (0..head_dim).map(|j| if j % 2 == 0 { j / 2 } else { half + j / 2 }).collect()
    }

    /// `rows` (`items` consecutive items of `row_len`, heads of `head_dim` items) with each head
    /// reordered into rotation pairs: item j of a head becomes item `order[j]` of the input's.
    pub fn to_rotation_pairs<T: Copy>(rows: &[T], row_len: usize, head_dim: usize) -> Vec<T> {
        let order = rotation_pair_order(head_dim);
        rows.chunks(head_dim * row_len)
            .flat_map(|head| order.iter().flat_map(move |&d| head[d * row_len..(d + 1) * row_len].iter().copied()))
            .collect()
    }

    /// The inverse of [`to_rotation_pairs`].
    pub fn from_rotation_pairs<T: Copy + Default>(rows: &[T], row_len: usize, head_dim: usize) -> Vec<T> {
        let order = rotation_pair_order(head_dim);
        let mut out = vec![T::default(); rows.len()];
        for (h, head) in rows.chunks(head_dim * row_len).enumerate() {
            for (j, &d) in order.iter().enumerate() {
                let at = (h * head_dim + d) * row_len;
                out[at..at + row_len].copy_from_slice(&head[j * row_len..(j + 1) * row_len]);
            }
        }
        out
    }

    /// silu(gate)·up of rows of (gate, up) pairs.
    pub fn swiglu(gate_up: &[f32], n: usize) -> Vec<f32> {
        gate_up
            .chunks(2 * n)
            .flat_map(|row| (0..n).map(move |i| {
                let g = row[2 * i] as f64;
                (g / (1.0 + (-g).exp()) * row[2 * i + 1] as f64) as f32
            }))
            .collect()
    }

    /// Smallest index of the maximum per row (0 for a row without any number).
    /// Rows of `table` [vocab][n] at `tokens`.
    pub fn embed(table: &[f32], tokens: &[i32], n: usize) -> Vec<f32> {
        tokens.iter().flat_map(|&t| table[t as usize * n..(t as usize + 1) * n].to_vec()).collect()
    }

    pub fn argmax(logits: &[f32], n: usize) -> Vec<i32> {
        logits
            .chunks(n)
            .map(|row| {
                let mut best = 0;
                for (i, &v) in row.iter().enumerate() {
                    if v > row[best] || (row[best].is_nan() && !v.is_nan()) {
                        best = i;
                    }
                }
                best as i32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::reference::{from_rotation_pairs, rotation_pair_order, to_rotation_pairs};

    #[test]
    fn rotation_pairs_put_each_rotated_pair_side_by_side() {
        assert_eq!(rotation_pair_order(8), vec![0, 4, 1, 5, 2, 6, 3, 7]);
        // Two heads of 4 dims, rows of 3 items: the item value names (head, dim, column).
        let natural: Vec<u32> = (0..2 * 4 * 3).collect();
        let paired = to_rotation_pairs(&natural, 3, 4);
        assert_eq!(&paired[..12], &[0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11]);
        assert_eq!(&paired[12..15], &[12, 13, 14]);
        assert_eq!(from_rotation_pairs(&paired, 3, 4), natural);
    }
}
