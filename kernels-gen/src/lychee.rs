//! LycheeDecode's index buffer on the GPU (`cuda/lychee.cu`): retrieval heads store their top-k
//! block picks per head index (`lychee_update`), and sparse heads expand their row, with the sink
//! and recent tokens, into a list of distinct token ids for `gather_attention` (`lychee_tokens`).
//! The references below restate sdec-model's `Lychee::sparse_positions` for one row.

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// `rows` = batch × `kv_heads` index rows of `k` block ids of `block` tokens; `sink` and `recent`
/// tokens always kept (with k = 0 the lists are those alone: StreamingLLM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LycheeIndexShape {
    pub rows: u32,
    pub kv_heads: u32,
    pub k: u32,
    pub block: u32,
    pub sink: u32,
    pub recent: u32,
}

impl LycheeIndexShape {
    /// Token slots per row of the sparse heads' lists.
    pub fn entries(&self) -> u32 {
        self.k * self.block + self.sink + self.recent
    }
}

impl Shape for LycheeIndexShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        Vec::new()
    }

    fn validate(&self) -> Result<(), ShapeError> {
        let fail = |reason: String| Err(ShapeError { family: "lychee_index", reason });
        if self.rows == 0 || self.kv_heads == 0 || self.rows % self.kv_heads != 0 {
            return fail(format!("{} rows do not hold whole batches of {} KV heads", self.rows, self.kv_heads));
        }
        // k = 0: sink and recent tokens only (StreamingLLM's lists).
        if self.block == 0 || self.entries() == 0 {
            return fail(format!("empty lists (k = {}, block = {}, sink = {}, recent = {})", self.k, self.block, self.sink, self.recent));
        }
        if self.entries() as u64 > i32::MAX as u64 / 2 {
            return fail(format!("{} token slots per row do not fit 32-bit ids", self.entries()));
        }
        Ok(())
    }
}

/// CTAs per row writing its token list: about four slots per thread (one CTA walking a row of
/// 4480 slots cost 7–8 µs a layer).
pub fn list_ctas(shape: &LycheeIndexShape, threads: u32) -> u32 {
    shape.entries().div_ceil(4 * threads).max(1)
}

sdec_dsl::kernel_family! {
    /// Index-buffer update and token-list expansion of LycheeDecode's sparse heads.
    pub family LycheeIndex {
        name = "lychee_index";
        source = "cuda/lychee.cu";
        shape = LycheeIndexShape;
        params {
            threads: u32 = [256, 128, 512],
        }
        constraints {
            threads % 32 == 0,
        }
        kernels {
            lychee_tokens(grid = (shape.rows, list_ctas(shape, threads), 1), block = (threads, 1, 1), smem = 0),
            lychee_update(grid = (shape.rows, list_ctas(shape, threads), 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B's 8 KV heads with LycheeDecode's defaults (4096 tokens in blocks of 64, sink 128,
/// recent 256), and SmolLM2's 3 heads with a 1024 budget.
pub fn standard_shapes() -> Vec<LycheeIndexShape> {
    vec![
        LycheeIndexShape { rows: 8, kv_heads: 8, k: 64, block: 64, sink: 128, recent: 256 },
        LycheeIndexShape { rows: 3, kv_heads: 3, k: 16, block: 64, sink: 128, recent: 256 },
    ]
}

pub static ENTRY: Entry<LycheeIndex> = Entry { standard_shapes };

pub mod reference {
    use super::LycheeIndexShape;

    /// The token slots of one row, as `lychee_tokens` lays them out.
    pub fn tokens_row(s: &LycheeIndexShape, index_row: &[i32], context: i32) -> Vec<i32> {
        let (sink, recent, block) = (s.sink as i32, s.recent as i32, s.block as i32);
        let recent_begin = sink.max(context - recent);
        let mut out: Vec<i32> = (0..sink).map(|t| if t < context { t } else { -1 }).collect();
        out.extend((0..recent).map(|j| {
            let t = context - recent + j;
            if t < recent_begin { -1 } else { t }
        }));
        for &b in index_row {
            out.extend((0..block).map(|i| {
                let t = if b < 0 { -1 } else { b * block + i };
                if t >= 0 && (t < sink || t >= recent_begin || t >= context) { -1 } else { t }
            }));
        }
        out
    }

    /// The index after a layer's update (see `lychee_update`).
    pub fn update(s: &LycheeIndexShape, picks: &[i32], retrieval: &[i32], index: &[i32], k_valid: usize) -> Vec<i32> {
        let k = s.k as usize;
        let mut out = index.to_vec();
        for row in 0..s.rows as usize {
            if retrieval[row % s.kv_heads as usize] != 0 {
                for i in 0..k {
                    out[row * k + i] = if i < k_valid { picks[row * k_valid + i] } else { -1 };
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slots list each kept token exactly once, as the union of sink, recent and blocks.
    #[test]
    fn tokens_are_the_union_without_repeats() {
        let s = LycheeIndexShape { rows: 1, kv_heads: 1, k: 3, block: 4, sink: 2, recent: 3 };
        let context = 13;
        let got = reference::tokens_row(&s, &[0, 2, -1], context);
        let mut kept: Vec<i32> = got.iter().copied().filter(|&t| t >= 0).collect();
        kept.sort_unstable();
        // sink 0..2, recent 10..13, block 0 -> 0..4, block 2 -> 8..12
        assert_eq!(kept, vec![0, 1, 2, 3, 8, 9, 10, 11, 12]);
        assert_eq!(got.len() as u32, s.entries());
    }

    #[test]
    fn short_context_keeps_each_token_once() {
        let s = LycheeIndexShape { rows: 1, kv_heads: 1, k: 2, block: 4, sink: 4, recent: 4 };
        let got = reference::tokens_row(&s, &[0, 1], 5);
        let mut kept: Vec<i32> = got.iter().copied().filter(|&t| t >= 0).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![0, 1, 2, 3, 4]);
    }
}
