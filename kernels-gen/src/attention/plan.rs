//! Work plan of the gather family: which CTA reads which range of which head.
//!
//! Fixed splits (`fill` = 0): every head's token range (its whole context if dense, its list
//! otherwise) is cut into pieces of `split_tokens`, so dense heads get proportionally more CTAs
//! and all CTAs have about the same work — LycheeDecode's balance rule S_dense = ceil(S_sparse ·
//! N_total / N_selected) falls out of cutting by a fixed token count.
//!
//! Filled (`fill` = f > 0): the same rule, with the piece size chosen so that all heads together
//! make at most f × (the device's SMs) pieces, and each head's range cut into equal pieces. A
//! fixed split leaves a wave partly empty or spills a few CTAs into a second one (LycheeDecode's
//! b1 mixed layer: 85 CTAs of 2048 tokens on 132 SMs, or 163 of 1024); a filled plan gives every
//! SM the same share of the bytes in one wave.

use super::GatherShape;
use crate::family::DeviceLimits;

/// One CTA's work, as the kernel reads it (`int4`): head = batch*kv_heads + kv head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct WorkItem {
    pub head: i32,
    pub begin: i32,
    pub end: i32,
    pub dense: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherPlan {
    pub items: Vec<WorkItem>,
    /// offsets[h]..offsets[h+1]: the work items (and partials) of head h; length heads + 1.
    pub offsets: Vec<i32>,
}

/// How a plan cuts the heads' ranges (the family's `split_tokens` and `fill`, and the device's
/// SM count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub split_tokens: u32,
    pub fill: u32,
    pub sm_count: u32,
}

impl Cut {
    pub fn of(split_tokens: u32, fill: u32, limits: &DeviceLimits) -> Self {
        Cut { split_tokens, fill, sm_count: limits.sm_count }
    }
}

/// Filled pieces start at multiples of this: a scoring dense head's pieces must not straddle a
/// score block, and whole 16-token tiles keep the tensor-core path's warp runs aligned.
fn piece_align(shape: &GatherShape) -> u32 {
    if shape.emit_scores { shape.score_block.max(16) } else { 16 }
}

fn head_tokens(shape: &GatherShape, kv_head: usize) -> u32 {
    if shape.dense[kv_head] {
        shape.context
    } else {
        shape.entries * shape.gather_block
    }
}

/// Every (batch, KV head)'s token count, in plan order.
fn all_head_tokens(shape: &GatherShape) -> impl Iterator<Item = u32> + '_ {
    (0..shape.batch).flat_map(move |_| (0..shape.kv_heads as usize).map(move |h| head_tokens(shape, h)))
}

/// Pieces of at most `piece` tokens a range of `tokens` is cut into (an empty range still has one).
fn pieces(tokens: u32, piece: u32) -> u32 {
    tokens.div_ceil(piece).max(1)
}

/// The largest piece a filled plan uses: the smallest multiple of the alignment for which all
/// heads together make at most fill × SMs pieces (one piece per head when there are more heads).
fn filled_piece(shape: &GatherShape, cut: Cut) -> u32 {
    let align = piece_align(shape);
    let target = cut.fill.max(1) * cut.sm_count.max(1);
    let count = |piece: u32| all_head_tokens(shape).map(|t| pieces(t, piece)).sum::<u32>();
    let longest = all_head_tokens(shape).max().unwrap_or(0).max(1);
    let (mut lo, mut hi) = (1, longest.div_ceil(align));  // in units of `align`
    while lo < hi {
        let mid = (lo + hi) / 2;
        if count(mid * align) <= target { hi = mid } else { lo = mid + 1 }
    }
    lo * align
}

/// How many pieces a head of `tokens` gets and how long each is (the last may be shorter).
fn head_cut(shape: &GatherShape, cut: Cut, tokens: u32, filled: Option<u32>) -> (u32, u32) {
    match filled {
        None => (pieces(tokens, cut.split_tokens), cut.split_tokens),
        Some(piece) => {
            // Equal pieces, so a head's last one is not a sliver.
            let align = piece_align(shape);
            let len = tokens.div_ceil(pieces(tokens, piece)).div_ceil(align).max(1) * align;
            // Rounding up to the alignment may leave fewer pieces than first counted.
            (pieces(tokens, len), len)
        }
    }
}

/// The number of CTAs (and partials) of the plan.
pub fn work_count(shape: &GatherShape, cut: Cut) -> u32 {
    let filled = (cut.fill > 0).then(|| filled_piece(shape, cut));
    all_head_tokens(shape).map(|t| head_cut(shape, cut, t, filled).0).sum()
}

pub fn plan_gather(shape: &GatherShape, cut: Cut) -> GatherPlan {
    let filled = (cut.fill > 0).then(|| filled_piece(shape, cut));
    let mut items = Vec::new();
    let mut offsets = vec![0];
    for b in 0..shape.batch as usize {
        for h in 0..shape.kv_heads as usize {
            let head = (b * shape.kv_heads as usize + h) as i32;
            let tokens = head_tokens(shape, h);
            let (n, len) = head_cut(shape, cut, tokens, filled);
            for i in 0..n {
                let begin = (i * len).min(tokens) as i32;
                let end = ((i + 1) * len).min(tokens) as i32;
                items.push(WorkItem { head, begin, end, dense: shape.dense[h] as i32 });
            }
            offsets.push(items.len() as i32);
        }
    }
    GatherPlan { items, offsets }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(split_tokens: u32) -> Cut {
        Cut { split_tokens, fill: 0, sm_count: 132 }
    }

    /// Every head's range is covered once, in order, by non-empty pieces (an empty range by one
    /// empty piece), and the offsets index them.
    fn assert_covers(shape: &GatherShape, plan: &GatherPlan) {
        let tokens: Vec<u32> = all_head_tokens(shape).collect();
        assert_eq!(plan.offsets.len(), tokens.len() + 1);
        for (h, &t) in tokens.iter().enumerate() {
            let items = &plan.items[plan.offsets[h] as usize..plan.offsets[h + 1] as usize];
            assert!(!items.is_empty());
            let mut at = 0;
            for w in items {
                assert_eq!((w.head as usize, w.begin), (h, at), "{shape:?}: head {h}");
                assert!(w.end > w.begin || t == 0);
                at = w.end;
            }
            assert_eq!(at as u32, t, "{shape:?}: head {h} covered to {at} of {t}");
        }
    }

    /// A filled plan on an H100's 132 SMs, checked for coverage and its count; its piece count.
    fn filled_plan(shape: &GatherShape, fill: u32) -> (GatherPlan, u32) {
        let cut = Cut { split_tokens: 1024, fill, sm_count: 132 };
        let plan = plan_gather(shape, cut);
        assert_covers(shape, &plan);
        let n = plan.items.len() as u32;
        assert_eq!(n, work_count(shape, cut));
        (plan, n)
    }

    #[test]
    fn dense_heads_get_more_splits_and_counts_match() {
        let shape = GatherShape {
            batch: 2, kv_heads: 4, group: 4, head_dim: 128, context: 10_000, capacity: 10_000,
            gather_block: 64, entries: 16, dense: vec![true, false, false, false], emit_scores: false, score_block: 64, runs: false,
        };
        let plan = plan_gather(&shape, fixed(512));
        assert_eq!(plan.items.len() as u32, work_count(&shape, fixed(512)));
        // dense: ceil(10000/512) = 20 splits; sparse: 16*64 = 1024 tokens -> 2 splits.
        assert_eq!(plan.offsets[1] - plan.offsets[0], 20);
        assert_eq!(plan.offsets[2] - plan.offsets[1], 2);
        assert!(plan.items.iter().all(|w| w.end - w.begin <= 512 && w.end > w.begin));
        assert_covers(&shape, &plan);
    }

    /// LycheeDecode's b1 mixed layer on an H100: one scoring dense head of 128K tokens and seven
    /// lists of 4480 fill one wave of 132 SMs with pieces of about equal bytes.
    #[test]
    fn a_filled_plan_is_one_wave_of_equal_pieces() {
        let mut dense = vec![false; 8];
        dense[3] = true;
        let shape = GatherShape {
            batch: 1, kv_heads: 8, group: 4, head_dim: 128, context: 131072, capacity: 131072,
            gather_block: 1, entries: 4480, dense, emit_scores: true, score_block: 64, runs: false,
        };
        for fill in [1, 2] {
            let (plan, n) = filled_plan(&shape, fill);
            assert!(n <= fill * 132 && n > fill * 132 * 9 / 10, "fill {fill}: {n} pieces");
            // The wave lasts as long as its largest piece: within 10% of the mean.
            let largest = plan.items.iter().map(|w| w.end - w.begin).max().unwrap();
            let mean = (131072 + 7 * 4480) as f64 / n as f64;
            assert!((largest as f64) < 1.1 * mean, "fill {fill}: largest piece {largest}, mean {mean:.0}");
            // A scoring dense head's pieces start on score blocks.
            assert!(plan.items.iter().filter(|w| w.dense != 0).all(|w| w.begin % 64 == 0));
        }
    }

    #[test]
    fn filled_plans_cover_every_head_and_stay_within_their_target() {
        for (batch, kv_heads, context, entries, dense_every, emit) in
            [(1, 8, 1, 1, 1, true), (3, 2, 777, 50, 2, true), (8, 8, 131072, 4096, 4, false), (2, 7, 100, 0, 3, false), (64, 8, 5000, 300, 8, false)]
        {
            let shape = GatherShape {
                batch, kv_heads, group: 4, head_dim: 128, context, capacity: context, gather_block: 1, entries,
                dense: (0..kv_heads).map(|h| h % dense_every == 0).collect(), emit_scores: emit, score_block: 64, runs: false,
            };
            for fill in [1, 2] {
                let (_, n) = filled_plan(&shape, fill);
                assert!(n <= (fill * 132).max(batch * kv_heads), "{shape:?} fill {fill}: {n} pieces");
            }
        }
    }
}
