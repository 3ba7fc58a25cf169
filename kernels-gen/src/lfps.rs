//! LFPS's candidate scores on the GPU (`cuda/lfps.cu`): the last step's picks, widened, are this
//! step's candidates; each gets its group-mean logit q̄ · k, every other position −∞, so a top-k
//! over the row picks among the candidates only. The reference below restates sdec-model's
//! `Lfps::candidates` and `mean_query_scores_at` for one row.

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// `batch` × `kv_heads` rows of a KV cache of `capacity` tokens, `k` picks per row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LfpsShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub capacity: u32,
    pub k: u32,
}

impl Shape for LfpsShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![("HEAD_DIM", Constant::U32(self.head_dim)), ("GROUP", Constant::U32(self.group))]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        crate::attention::validate_heads("lfps", self.batch, self.kv_heads, self.group, self.head_dim, self.capacity, self.capacity)?;
        if self.k == 0 || self.k > self.capacity {
            return Err(ShapeError { family: "lfps", reason: format!("k = {} picks in a cache of {} tokens", self.k, self.capacity) });
        }
        Ok(())
    }
}

sdec_dsl::kernel_family! {
    /// LFPS: candidate scores from the last step's picks.
    pub family Lfps {
        name = "lfps";
        source = "cuda/lfps.cu";
        shape = LfpsShape;
        params {
            threads: u32 = [256, 128],
        }
        constraints {
            threads % 32 == 0,
        }
        kernels {
            lfps_clear(grid = (shape.capacity.div_ceil(threads * 16), shape.batch * shape.kv_heads, 1), block = (threads, 1, 1), smem = 0),
            lfps_score(grid = (shape.k.div_ceil(threads / 32), shape.batch * shape.kv_heads, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B's heads with LFPS's default budget at 128K, and SmolLM2's.
pub fn standard_shapes() -> Vec<LfpsShape> {
    vec![
        LfpsShape { batch: 1, kv_heads: 8, group: 4, head_dim: 128, capacity: 131072, k: 4096 },
        LfpsShape { batch: 1, kv_heads: 3, group: 3, head_dim: 64, capacity: 8192, k: 1024 },
    ]
}

pub static ENTRY: Entry<Lfps> = Entry { standard_shapes };

pub mod reference {
    use super::LfpsShape;

    /// Whether position t is a candidate of a row with sorted `picks` (−1: none), widening `w`,
    /// at `context` (sdec-model's `Lfps::candidates`).
    pub fn is_candidate(picks: &[i32], w: i32, context: i32, t: i32) -> bool {
        t == context - 1 || picks.iter().any(|&p| p >= 0 && p - w <= t && t <= p + 1 + w)
    }

    /// Scores [rows][context]: q̄ · k_t at candidates (f64 sums), −∞ elsewhere.
    pub fn candidate_scores(s: &LfpsShape, q: &[f32], k: &[f32], picks: &[i32], w: i32, context: u32) -> Vec<f32> {
        let (d, g, cap, kk, ctx) = (s.head_dim as usize, s.group as usize, s.capacity as usize, s.k as usize, context as usize);
        let mut out = Vec::with_capacity((s.batch * s.kv_heads) as usize * ctx);
        for row in 0..(s.batch * s.kv_heads) as usize {
            let qbar: Vec<f64> = (0..d).map(|i| (0..g).map(|j| q[(row * g + j) * d + i] as f64).sum::<f64>() / g as f64).collect();
            let row_picks = &picks[row * kk..(row + 1) * kk];
            for t in 0..ctx {
                out.push(if is_candidate(row_picks, w, context as i32, t as i32) {
                    let key = &k[(row * cap + t) * d..(row * cap + t + 1) * d];
                    qbar.iter().zip(key).map(|(a, &x)| a * x as f64).sum::<f64>() as f32
                } else {
                    f32::NEG_INFINITY
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::reference::is_candidate;

    /// p = 5, w = 1: the vertical 4..6 and the slash 6..7, and the current token.
    #[test]
    fn candidates_are_the_widened_picks_and_the_current_token() {
        let kept: Vec<i32> = (0..20).filter(|&t| is_candidate(&[5, -1], 1, 20, t)).collect();
        assert_eq!(kept, vec![4, 5, 6, 7, 19]);
    }
}
