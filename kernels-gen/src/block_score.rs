//! Standalone block scoring (`cuda/block_score.cu`): LycheeDecode's selection pass for heads that
//! do not run dense attention themselves, and with a score block of 1 TidalDecode's token scores
//! (`token_score`). Reference: [`crate::attention::reference::block_scores`].

use serde::{Deserialize, Serialize};


use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockScoreShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub context: u32,
    pub capacity: u32,
    pub score_block: u32,
}

impl BlockScoreShape {
    pub fn n_blocks(&self) -> u32 {
        self.context.div_ceil(self.score_block)
    }
}

impl Shape for BlockScoreShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![
            ("HEAD_DIM", Constant::U32(self.head_dim)),
            ("GROUP", Constant::U32(self.group)),
            ("SCORE_BLOCK", Constant::U32(self.score_block)),
        ]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        crate::attention::validate_heads("block_score", self.batch, self.kv_heads, self.group, self.head_dim, self.context, self.capacity)?;
        if self.score_block != 1 && (!self.score_block.is_power_of_two() || !(16..=256).contains(&self.score_block)) {
            return Err(ShapeError { family: "block_score", reason: format!("score block {} is neither 1 (token scores) nor a power of two in 16..=256", self.score_block) });
        }
        Ok(())
    }
}

/// Tokens one warp of `token_score` scores (mirrors WARP_TOKENS in block_score.cu): the tokens a
/// warp's 16-byte loads cover at once, times the loads in flight.
pub fn warp_tokens(head_dim: u32, unroll: u32) -> u32 {
    32 / (head_dim / 8).max(1) * unroll
}

/// The kernel a shape launches: `token_score` for score block 1 (TidalDecode), else `block_score`.
pub fn kernel_name(shape: &BlockScoreShape) -> &'static str {
    if shape.score_block == 1 { "token_score" } else { "block_score" }
}

sdec_dsl::kernel_family! {
    /// Group-mean q·K, max-pooled per block; one warp per block.
    pub family BlockScore {
        name = "block_score";
        source = "cuda/block_score.cu";
        shape = BlockScoreShape;
        params {
            threads: u32 = [256, 128, 512],
            unroll: u32 = [4, 2, 8],
        }
        constraints {
            threads % 32 == 0,
            threads <= limits.max_threads_per_block,
        }
        kernels {
            block_score(grid = (shape.n_blocks().div_ceil(threads / 32), shape.batch * shape.kv_heads, 1), block = (threads, 1, 1), smem = 0),
            token_score(grid = (shape.capacity.div_ceil(threads / 32 * warp_tokens(shape.head_dim, unroll)), shape.batch * shape.kv_heads, 1),
                        block = (threads, 1, 1), smem = 0),
        }
    }
}

pub fn standard_shapes() -> Vec<BlockScoreShape> {
    [(128, 4, 64), (64, 3, 64), (128, 8, 16), (128, 4, 1)]
        .into_iter()
        .map(|(head_dim, group, score_block)| BlockScoreShape { batch: 1, kv_heads: 8, group, head_dim, context: 131072, capacity: 131072, score_block })
        .collect()
}

pub static ENTRY: Entry<BlockScore> = Entry { standard_shapes };
