//! Exact top-k of fp32 rows (`cuda/topk.cu`): one CTA per row, or several CTAs per row for long
//! rows and few of them. The reference is [`reference::topk_rows`].

pub mod reference;

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// Largest k the family serves (SpecAttn needs 9175 of 128K; the kernels keep nothing per k).
pub const MAX_K: u32 = 16384;
/// Longest row the family serves.
pub const MAX_ROW: u32 = 1 << 20;

/// `rows` rows of `n` scores each; the `k` largest of each row are selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopkShape {
    pub rows: u32,
    pub n: u32,
    pub k: u32,
}

impl Shape for TopkShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        Vec::new()
    }

    fn validate(&self) -> Result<(), ShapeError> {
        let fail = |reason: String| Err(ShapeError { family: "topk", reason });
        if self.rows == 0 || self.n == 0 {
            return fail(format!("empty input ({} rows of {} scores)", self.rows, self.n));
        }
        if self.k == 0 {
            return fail("k must be at least 1".into());
        }
        if self.k > self.n {
            return fail(format!("k = {} exceeds the row length (context) {}", self.k, self.n));
        }
        if self.k > MAX_K {
            return fail(format!("k = {} exceeds the supported maximum {MAX_K}", self.k));
        }
        if self.n > MAX_ROW {
            return fail(format!("row length {} exceeds the supported maximum {MAX_ROW}", self.n));
        }
        Ok(())
    }
}

sdec_dsl::kernel_family! {
    /// Radix select over rows of fp32 scores.
    pub family Topk {
        name = "topk";
        source = "cuda/topk.cu";
        shape = TopkShape;
        params {
            /// Threads per CTA.
            threads: u32 = [512, 256, 1024],
            /// Consecutive elements per thread in the scan passes.
            items: u32 = [4, 2, 8],
            /// 1: one fused CTA per row; more: segments of a row on several CTAs.
            ctas_per_row: u32 = [1, 2, 4, 8, 16, 64],
            /// Warp-aggregated histogram atomics (`__match_any_sync`) or plain ones.
            aggregate: bool = [false, true],
        }
        constraints {
            threads % 32 == 0,
            threads <= limits.max_threads_per_block,
            // A segment should give each thread at least one tile of work.
            ctas_per_row == 1 || shape.n >= ctas_per_row * threads * items,
        }
        kernels {
            topk_fused(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
            topk_hist(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
            topk_filter(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
            topk_resolve(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
            topk_write(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// The instances the methods need (SpecAttn's 7%, token-level, block-level) and edge cases.
pub fn standard_shapes() -> Vec<TopkShape> {
    vec![
        TopkShape { rows: 8, n: 131072, k: 9175 },
        TopkShape { rows: 64, n: 131072, k: 2048 },
        TopkShape { rows: 64, n: 2048, k: 64 },
    ]
}

pub static ENTRY: Entry<Topk> = Entry { standard_shapes };
