//! Exact top-k of fp32 rows (`cuda/topk.cu`): one CTA per row (staged in shared memory, or held in
//! registers), or several CTAs per row for long rows and few of them (four launches, or one
//! launch of a thread-block cluster). The reference is [`reference::topk_rows`].

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

/// `strategy` values (the kernels each launches are in `cuda/topk.cu`).
/// One CTA per row (`topk_fused`).
pub const FUSED: u32 = 0;
/// `ctas_per_row` CTAs per row over four launches (histogram, filter, resolve, write).
pub const MULTI: u32 = 1;
/// A thread-block cluster of `ctas_per_row` CTAs per row, one launch (`topk_cluster`).
pub const CLUSTER: u32 = 2;
/// One CTA per row holding the row in registers (`topk_resident`).
pub const RESIDENT: u32 = 3;

/// Largest cluster: 16 CTAs needs the non-portable cluster size opt-in (the launcher sets it).
pub const MAX_CLUSTER: u32 = 16;
/// Candidates a cluster CTA keeps in shared memory (key and position each).
pub const CLUSTER_CANDIDATES: u32 = 8192;
/// Static shared memory of `topk_cluster` is below this (scan scratch, per-CTA counts).
const CLUSTER_STATIC_SMEM: u32 = 1024;
/// Candidate keys of the whole cluster each CTA can hold (its own and copies of the others'), so
/// that it selects alone after one exchange.
pub const GATHER_KEYS: u32 = 16384;
/// Shared memory per block of the GPUs that run clusters (sm_90); the gather slots are left out
/// where they would not fit beside the rest.
const CLUSTER_SMEM_LIMIT: u32 = 227 * 1024;

/// How `topk_cluster` lays out a row's segments and its dynamic shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterLayout {
    /// Elements per CTA (the last CTA's segment may be shorter), a multiple of 4.
    pub seg_len: u32,
    /// Candidates each CTA can keep.
    pub cand_cap: u32,
    /// Candidate keys of each other CTA a CTA can hold (0: the select runs over the cluster).
    pub gather_slot: u32,
    /// Dynamic shared memory per CTA.
    pub smem_bytes: u32,
}

/// The layout of `topk_cluster` (mirrors the offsets at the top of the kernel).
pub fn cluster_layout(shape: &TopkShape, ctas_per_row: u32, digit_bits: u32) -> ClusterLayout {
    let seg_len = shape.n.div_ceil(ctas_per_row.max(1)).div_ceil(4) * 4;
    let cand_cap = seg_len.min(CLUSTER_CANDIDATES);
    let bins = 1u32 << digit_bits;
    let rounds = 32u32.div_ceil(digit_bits);
    let words = bins * (1 + rounds) + 2 * seg_len.div_ceil(32) + 2 * cand_cap;
    let others = ctas_per_row.saturating_sub(1);
    let slot = cand_cap.min(GATHER_KEYS / ctas_per_row.max(1));
    let gather_slot = if (words + others * slot) * 4 + CLUSTER_STATIC_SMEM <= CLUSTER_SMEM_LIMIT { slot } else { 0 };
    ClusterLayout { seg_len, cand_cap, gather_slot, smem_bytes: (words + others * gather_slot) * 4 }
}

/// Dynamic shared memory of a configuration's kernels (only `topk_cluster` has any).
pub fn dynamic_smem(shape: &TopkShape, strategy: u32, ctas_per_row: u32, digit_bits: u32) -> u32 {
    if strategy == CLUSTER { cluster_layout(shape, ctas_per_row, digit_bits).smem_bytes } else { 0 }
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
            /// Consecutive elements per thread in the scan passes (in registers for RESIDENT).
            items: u32 = [4, 2, 8],
            /// CTAs per row: 1 for FUSED and RESIDENT, the segments (MULTI) or cluster size (CLUSTER).
            ctas_per_row: u32 = [1, 2, 4, 8, 16, 64],
            /// Warp-aggregated histogram atomics (`__match_any_sync`) or plain ones.
            aggregate: bool = [false, true],
            /// FUSED (0), MULTI (1), CLUSTER (2) or RESIDENT (3).
            strategy: u32 = [0, 1, 2, 3],
            /// Bits per radix digit (RESIDENT also takes 8: 4 digits of 256 buckets).
            digit_bits: u32 = [11, 8],
        }
        constraints {
            threads % 32 == 0,
            threads <= limits.max_threads_per_block,
            // Which parameters each strategy uses (these prune the space).
            (ctas_per_row == 1) == (strategy == FUSED || strategy == RESIDENT),
            strategy != CLUSTER || ctas_per_row <= MAX_CLUSTER,
            digit_bits == 11 || strategy == RESIDENT,
            // A segment should give each thread at least one tile of work.
            ctas_per_row == 1 || shape.n >= ctas_per_row * threads * items,
            strategy != RESIDENT || shape.n <= threads * items,
            dynamic_smem(shape, strategy, ctas_per_row, digit_bits) + CLUSTER_STATIC_SMEM <= limits.max_smem_per_block,
        }
        kernels {
            topk_fused(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
            topk_hist(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
            topk_filter(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
            topk_resolve(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
            topk_write(grid = (ctas_per_row, shape.rows, 1), block = (threads, 1, 1), smem = 0),
            topk_resident(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
            topk_cluster(grid = (shape.rows * ctas_per_row, 1, 1), block = (threads, 1, 1),
                         smem = dynamic_smem(shape, strategy, ctas_per_row, digit_bits)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{DeviceLimits, KernelFamily};

    #[test]
    fn each_strategy_keeps_only_the_parameters_it_uses() {
        let space = Topk::space();
        let count = |strategy: u32| space.iter().filter(|c| c.strategy == strategy).count();
        // threads × items × aggregate (× segments, × digit widths where they apply)
        assert_eq!((count(FUSED), count(MULTI), count(CLUSTER), count(RESIDENT)), (18, 90, 72, 36));
        assert!(space.iter().all(|c| (c.ctas_per_row == 1) == (c.strategy == FUSED || c.strategy == RESIDENT)));
        assert!(space.iter().all(|c| c.digit_bits == 11 || c.strategy == RESIDENT));
        // The default (first) configuration is the fused one it always was.
        assert_eq!((space[0].strategy, space[0].threads, space[0].ctas_per_row), (FUSED, 512, 1));
    }

    #[test]
    fn the_standard_shapes_get_the_new_strategies() {
        let limits = DeviceLimits::default();
        let shapes = standard_shapes();
        let has = |shape: &TopkShape, strategy: u32| Topk::valid_space(shape, &limits).iter().any(|c| c.strategy == strategy);
        assert!(has(&shapes[0], CLUSTER) && has(&shapes[1], CLUSTER));
        assert!(has(&shapes[2], RESIDENT) && !has(&shapes[0], RESIDENT));
    }

    #[test]
    fn the_cluster_layout_counts_every_array() {
        let shape = TopkShape { rows: 64, n: 131072, k: 2048 };
        let layout = cluster_layout(&shape, 2, 11);
        assert_eq!((layout.seg_len, layout.cand_cap), (65536, CLUSTER_CANDIDATES));
        // hist + 3 digit sums of 2048 bins, two bitmaps of 2048 words, keys and positions, and
        // the other CTA's candidate keys.
        assert_eq!(layout.gather_slot, 8192);
        assert_eq!(layout.smem_bytes, 4 * (2048 * 4 + 2 * 2048 + 2 * 8192 + 8192));
        // Short segments keep every element as a candidate; the last may be short. Slots share
        // GATHER_KEYS.
        let small = cluster_layout(&TopkShape { rows: 1, n: 10_001, k: 5 }, 4, 11);
        assert_eq!((small.seg_len, small.cand_cap, small.gather_slot), (2504, 2504, 2504));
        let sixteen = cluster_layout(&TopkShape { rows: 1, n: 131072, k: 5 }, 16, 11);
        assert_eq!(sixteen.gather_slot, GATHER_KEYS / 16);
        // The longest row still fits two CTAs: 512K-bit bitmaps (128 KB) beside the rest, without
        // gather slots.
        let longest = cluster_layout(&TopkShape { rows: 1, n: MAX_ROW, k: 5 }, 2, 11);
        assert_eq!(longest.gather_slot, 0);
        assert!(longest.smem_bytes + CLUSTER_STATIC_SMEM <= DeviceLimits::default().max_smem_per_block);
    }
}
