//! Work plan of the gather family: which CTA reads which range of which head.
//!
//! Every head's token range (its whole context if dense, its list otherwise) is cut into pieces
//! of `split_tokens`, so dense heads get proportionally more CTAs and all CTAs have about the
//! same work — LycheeDecode's balance rule S_dense = ceil(S_sparse · N_total / N_selected) falls
//! out of cutting by a fixed token count.

use super::GatherShape;

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

fn head_tokens(shape: &GatherShape, kv_head: usize) -> u32 {
    if shape.dense[kv_head] {
        shape.context
    } else {
        shape.entries * shape.gather_block
    }
}

pub fn work_count(shape: &GatherShape, split_tokens: u32) -> u32 {
    let per_batch: u32 = (0..shape.kv_heads as usize).map(|h| head_tokens(shape, h).div_ceil(split_tokens).max(1)).sum();
    shape.batch * per_batch
}

pub fn plan_gather(shape: &GatherShape, split_tokens: u32) -> GatherPlan {
    let mut items = Vec::new();
    let mut offsets = vec![0];
    for b in 0..shape.batch as usize {
        for h in 0..shape.kv_heads as usize {
            let head = (b * shape.kv_heads as usize + h) as i32;
            let tokens = head_tokens(shape, h) as i32;
            let mut begin = 0;
            loop {
                let end = (begin + split_tokens as i32).min(tokens);
                items.push(WorkItem { head, begin, end, dense: shape.dense[h] as i32 });
                begin = end;
                if begin >= tokens {
                    break;
                }
            }
            offsets.push(items.len() as i32);
        }
    }
    GatherPlan { items, offsets }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_heads_get_more_splits_and_counts_match() {
        let shape = GatherShape {
            batch: 2, kv_heads: 4, group: 4, head_dim: 128, context: 10_000, capacity: 10_000,
            gather_block: 64, entries: 16, dense: vec![true, false, false, false], emit_scores: false, score_block: 64,
        };
        let plan = plan_gather(&shape, 512);
        assert_eq!(plan.items.len() as u32, work_count(&shape, 512));
        // dense: ceil(10000/512) = 20 splits; sparse: 16*64 = 1024 tokens -> 2 splits.
        assert_eq!(plan.offsets[1] - plan.offsets[0], 20);
        assert_eq!(plan.offsets[2] - plan.offsets[1], 2);
        assert!(plan.items.iter().all(|w| w.end - w.begin <= 512 && w.end > w.begin));
        assert_eq!(*plan.offsets.last().unwrap() as usize, plan.items.len());
    }
}
