//! Quest's page selection on the GPU (`cuda/quest.cu`), with sdec-model's `quest` semantics:
//! per-page key bounds kept beside the KV cache (`quest_pages`), the bound of each page for a
//! KV head's query group (`quest_score`), and the page lists for `gather_attention` after the
//! top-k (`quest_list`). References in [`reference`].

use serde::{Deserialize, Serialize};

use crate::attention::{HEAD_DIMS, MAX_GROUP};
use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// `batch` sequences of `kv_heads` KV heads (GQA `group`), keys of `head_dim` in a cache of
/// `capacity` tokens cut into pages of `page`; `rows` rows appended per pass (prefill chunks);
/// lists of `entries` pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub page: u32,
    pub capacity: u32,
    pub rows: u32,
    pub entries: u32,
}

impl QuestShape {
    pub fn pages_cap(&self) -> u32 {
        self.capacity.div_ceil(self.page)
    }
}

impl Shape for QuestShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![("HEAD_DIM", Constant::U32(self.head_dim)), ("GROUP", Constant::U32(self.group)), ("PAGE", Constant::U32(self.page))]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        let fail = |reason: String| Err(ShapeError { family: "quest", reason });
        if self.batch == 0 || self.kv_heads == 0 || self.capacity == 0 || self.rows == 0 || self.entries == 0 {
            return fail(format!("empty input (batch {}, kv heads {}, capacity {}, rows {}, entries {})", self.batch, self.kv_heads, self.capacity, self.rows, self.entries));
        }
        if !HEAD_DIMS.contains(&self.head_dim) {
            return fail(format!("head dim {} is not one of {HEAD_DIMS:?}", self.head_dim));
        }
        if self.group == 0 || self.group > MAX_GROUP {
            return fail(format!("GQA group {} is outside 1..={MAX_GROUP}", self.group));
        }
        // The gather kernel takes pages as blocks of a power-of-two size up to 256.
        if !self.page.is_power_of_two() || self.page > 256 {
            return fail(format!("page {} is not a power of two up to 256", self.page));
        }
        Ok(())
    }
}

sdec_dsl::kernel_family! {
    /// Quest: page bounds beside the cache, page scores, page lists.
    pub family Quest {
        name = "quest";
        source = "cuda/quest.cu";
        shape = QuestShape;
        params {
            threads: u32 = [128, 256],
        }
        constraints {
            threads % 32 == 0,
        }
        kernels {
            quest_pages(grid = (shape.rows, shape.kv_heads, 1), block = (threads, 1, 1), smem = 0),
            quest_score(grid = (shape.pages_cap().div_ceil(threads / 32), shape.batch * shape.kv_heads, 1), block = (threads, 1, 1), smem = 0),
            quest_list(grid = (shape.batch * shape.kv_heads, 1, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B's heads with Quest's defaults (pages of 16, a 4096-token budget), and SmolLM2's.
pub fn standard_shapes() -> Vec<QuestShape> {
    vec![
        QuestShape { batch: 1, kv_heads: 8, group: 4, head_dim: 128, page: 16, capacity: 131072, rows: 1, entries: 257 },
        QuestShape { batch: 1, kv_heads: 3, group: 3, head_dim: 64, page: 16, capacity: 8192, rows: 8, entries: 65 },
    ]
}

pub static ENTRY: Entry<Quest> = Entry { standard_shapes };

pub mod reference {
    /// Min and max of each dimension over the keys `[t0, t1)` of one head (`k_head` [tokens][d]).
    pub fn page_bounds(k_head: &[f32], d: usize, t0: usize, t1: usize) -> (Vec<f32>, Vec<f32>) {
        let mut lo = vec![f32::INFINITY; d];
        let mut hi = vec![f32::NEG_INFINITY; d];
        for t in t0..t1 {
            for (i, &v) in k_head[t * d..(t + 1) * d].iter().enumerate() {
                lo[i] = lo[i].min(v);
                hi[i] = hi[i].max(v);
            }
        }
        (lo, hi)
    }

    /// The page's score for a query group: max over its heads of Σ_d max(q_d·lo_d, q_d·hi_d).
    pub fn page_score(queries: &[&[f32]], lo: &[f32], hi: &[f32]) -> f32 {
        queries
            .iter()
            .map(|q| q.iter().zip(lo.iter().zip(hi)).map(|(&x, (&a, &b))| (x as f64 * a as f64).max(x as f64 * b as f64)).sum::<f64>() as f32)
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// One row of page ids as `quest_list` writes it.
    pub fn list_row(picks: &[i32], n_pages: usize, entries: usize) -> Vec<i32> {
        let last = n_pages as i32 - 1;
        let mut out: Vec<i32> = picks.to_vec();
        if !picks.contains(&last) {
            out.push(last);
        }
        out.resize(entries, -1);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::reference::*;

    #[test]
    fn the_bound_holds_for_every_key_of_the_page() {
        let d = 4;
        let keys: Vec<f32> = (0..5 * d).map(|i| ((i * 37 % 11) as f32 - 5.0) / 3.0).collect();
        let (lo, hi) = page_bounds(&keys, d, 1, 5);
        let q = [0.5f32, -1.0, 2.0, 0.25];
        let bound = page_score(&[&q], &lo, &hi);
        for t in 1..5 {
            let dot: f32 = q.iter().zip(&keys[t * d..(t + 1) * d]).map(|(a, b)| a * b).sum();
            assert!(dot <= bound + 1e-6, "{dot} > {bound}");
        }
    }

    #[test]
    fn the_current_page_is_listed_once() {
        assert_eq!(list_row(&[3, 0], 5, 4), vec![3, 0, 4, -1]);
        assert_eq!(list_row(&[4, 1], 5, 4), vec![4, 1, -1, -1]);
    }
}
