//! Causal attention of a chunk of consecutive queries per sequence (`cuda/chunk_attention.cu`):
//! SpecAttn's verification pass (γ drafts + 1 rows) and chunked prefill. Tensor cores carry the
//! GROUP × QROWS query rows of a KV head, so K and V are read once for all of them. The
//! reference is [`super::reference::chunk`].

use serde::{Deserialize, Serialize};

use super::{tma_available, TMA_UNIT};
use crate::logit_codes::UNIT as LOGIT_UNIT;
use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// Most queries a chunk holds per sequence (GROUP × QROWS rows per KV head go through at most
/// four 16-row tensor-core tiles).
pub const MAX_QROWS: u32 = 8;

/// q and out [batch][qrows][kv_heads*group][head_dim] bf16; K and V [batch][kv_heads][capacity]
/// [head_dim] bf16 with `context` tokens, the chunk's included: query r sits at position
/// `context - qrows + r` and sees tokens `0..=context - qrows + r`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub qrows: u32,
    pub context: u32,
    pub capacity: u32,
    /// Also write every row's logits (log2 units) in 8 bits for SpecAttn's selection, in the
    /// layout of [`crate::logit_codes`] (`batch · kv_heads` sets of `group · qrows` rows).
    #[serde(default)]
    pub logits: bool,
}

impl ChunkShape {
    pub fn rows(&self) -> u32 {
        self.group * self.qrows
    }
    /// 16-row tensor-core tiles per KV head.
    pub fn m_tiles(&self) -> u32 {
        self.rows().div_ceil(16)
    }
    pub fn splits(&self, split_tokens: u32) -> u32 {
        self.context.div_ceil(split_tokens)
    }
}

impl Shape for ChunkShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![
            ("HEAD_DIM", Constant::U32(self.head_dim)),
            ("GROUP", Constant::U32(self.group)),
            ("QROWS", Constant::U32(self.qrows)),
            ("WRITE_LOGITS", Constant::Bool(self.logits)),
        ]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        super::validate_heads("chunk_attention", self.batch, self.kv_heads, self.group, self.head_dim, self.context, self.capacity)?;
        let fail = |reason: String| Err(ShapeError { family: "chunk_attention", reason });
        if self.qrows == 0 || self.qrows > MAX_QROWS {
            return fail(format!("{} queries per sequence is outside 1..={MAX_QROWS}", self.qrows));
        }
        if self.qrows > self.context {
            return fail(format!("a chunk of {} queries does not fit a context of {}", self.qrows, self.context));
        }
        Ok(())
    }
}

/// Bytes of static shared memory of `chunk_attend`: on the cp.async path (`tma` = 0) two stages
/// of a K and a V tile of `tile` tokens (rows padded by 8); with `logits` a 16-row staging tile
/// of every computing warp's codes (a byte a token); on the TMA path its barriers.
pub fn static_smem(shape: &ChunkShape, tile: u32, token_warps: u32, tma: u32) -> u32 {
    let kv = if tma == 1 { 2 * 2 * 8 * 2 + 16 * token_warps * tma_depth(token_warps) } else { 2 * 2 * tile * (shape.head_dim + 8) * 2 };
    let warp_tokens = if tma == 1 { TMA_UNIT } else { tile / token_warps };
    let logits = if shape.logits { shape.m_tiles() * token_warps * 16 * warp_tokens } else { 0 };
    kv + logits
}

/// Ring slots per group of the TMA path (chunk_attention.cu's DEPTH).
pub fn tma_depth(token_warps: u32) -> u32 {
    if token_warps >= 2 {
        2
    } else {
        4
    }
}

/// Dynamic shared memory of `chunk_attend`: on the TMA path `token_warps` groups of
/// [`tma_depth`] units of 32 rows of K and V, and 1 KB to align them for the swizzle.
pub fn ring_bytes(head_dim: u32, token_warps: u32, tma: u32) -> u32 {
    if tma == 1 {
        token_warps * tma_depth(token_warps) * 2 * head_dim.div_ceil(64) * TMA_UNIT * 128 + 1024
    } else {
        0
    }
}

sdec_dsl::kernel_family! {
    /// Split-KV causal attention of QROWS queries per sequence on tensor cores, + combine.
    pub family ChunkAttention {
        name = "chunk_attention";
        source = "cuda/chunk_attention.cu";
        shape = ChunkShape;
        params {
            /// Tokens per CTA (one split of the KV range). 4096 first: the verification's 128K
            /// pass runs it ~2% faster than 2048 alone and 0.1 ms faster a SpecAttn round, within
            /// the tuner's spread, where the earliest declared wins (decode.md section 27).
            split_tokens: u32 = [4096, 2048, 1024, 512, 8192],
            /// Tokens staged in shared memory at a time (the TMA path's units are 32).
            tile: u32 = [32, 64, 16],
            /// Warps that share one tile's tokens (each m-tile has this many); on the TMA path,
            /// groups of M_TILES warps that take turns at the units.
            token_warps: u32 = [2, 1, 4],
            /// 1: a producer warp stages units of 32 tokens by TMA tensor copies for the others
            /// (sm_90, head dim 64 or 128), a barrier per slot; 0: the warps stage their tiles by
            /// cp.async, two stages, a CTA barrier a tile. 1 first: it won every standard shape
            /// on the H100, and with 0 first the 128K verification's default sat at the edge of
            /// the choice rule's 3% window (225.4 against 219.0 µs), so two runs chose apart
            /// (docs/results/tune.md, session 30).
            #[mode]
            tma: u32 = [1, 0],
        }
        constraints {
            split_tokens % tile == 0,
            // Each warp's share of a tile is whole 16-token k-steps of P·V.
            tile % (16 * token_warps) == 0 || tma == 1,
            // Logit codes go out a unit of 32 tokens at a time, each unit a warp's.
            !shape.logits || tma == 1 || (tile / token_warps) as usize % LOGIT_UNIT == 0,
            tma == 0 || tile == TMA_UNIT,
            tma == 0 || tma_available(shape.head_dim, &limits.arch),
            static_smem(shape, tile, token_warps, tma) <= 48 * 1024,
            static_smem(shape, tile, token_warps, tma) + ring_bytes(shape.head_dim, token_warps, tma) <= limits.max_smem_per_block,
        }
        kernels {
            chunk_attend(grid = (shape.batch * shape.kv_heads * shape.splits(split_tokens), 1, 1),
                         block = (32 * (shape.m_tiles() * token_warps + tma), 1, 1), smem = ring_bytes(shape.head_dim, token_warps, tma)),
            chunk_combine(grid = (shape.batch * shape.kv_heads * shape.rows(), 1, 1), block = (shape.head_dim, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B's verification (group 4, γ = 6 → 7 queries, writing its logits) at 128K,
/// SmolLM2's (group 3, head dim 64), and an 8-token prefill chunk.
pub fn standard_shapes() -> Vec<ChunkShape> {
    [(128, 4, 7, 131072, true), (64, 3, 7, 8192, true), (128, 4, 8, 4096, false)]
        .into_iter()
        .map(|(head_dim, group, qrows, context, logits)| ChunkShape { batch: 1, kv_heads: 8, group, head_dim, qrows, context, capacity: context, logits })
        .collect()
}

pub static ENTRY: Entry<ChunkAttention> = Entry { standard_shapes };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{DeviceLimits, KernelFamily};

    /// The TMA path: sm_90 and head dims 64 or 128 only, units of 32 tokens, a producer warp
    /// beside the computing ones, its ring in dynamic shared memory.
    #[test]
    fn the_tma_path_serves_sm_90_with_a_producer_warp_and_a_ring() {
        let hopper = DeviceLimits::default();
        let verify = &standard_shapes()[0];
        let space = ChunkAttention::valid_space(verify, &hopper);
        let tma: Vec<_> = space.iter().filter(|c| c.tma == 1).collect();
        assert!(!tma.is_empty() && tma.iter().all(|c| c.tile == TMA_UNIT), "{tma:?}");
        for c in &tma {
            let launches = ChunkAttention::launches(c, verify, &hopper);
            let threads = 32 * (verify.m_tiles() * c.token_warps + 1);
            assert_eq!(launches[0].block.x, threads, "{c:?}");
            assert_eq!(launches[0].smem_bytes, ring_bytes(128, c.token_warps, 1), "{c:?}");
        }
        let ampere = DeviceLimits { arch: "sm_86".into(), ..hopper.clone() };
        assert!(ChunkAttention::valid_space(verify, &ampere).iter().all(|c| c.tma == 0), "no TMA before sm_90");
        let odd = ChunkShape { head_dim: 96, ..verify.clone() };
        assert!(ChunkAttention::valid_space(&odd, &hopper).iter().all(|c| c.tma == 0), "no TMA box for 96 dims");
    }
}
