//! Decode attention over bf16 K/V (`cuda/attention.cu`): the dense split-KV family, optionally
//! emitting LycheeDecode block scores in the same pass over K, and the gather family serving
//! dense and sparse heads in one launch. References in [`reference`].

pub mod chunk;
pub mod plan;
pub mod reference;

use serde::{Deserialize, Serialize};

use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

pub use chunk::{ChunkAttention, ChunkAttentionConfig, ChunkShape, MAX_QROWS};
pub use plan::{plan_gather, Cut, GatherPlan, WorkItem};

/// Head dims the kernels are written for (8 bf16 per lane; 16, 8, 4 or 2 lanes per token).
pub const HEAD_DIMS: [u32; 4] = [16, 32, 64, 128];
/// Largest GQA group: the kernel keeps GROUP query fragments in registers.
pub const MAX_GROUP: u32 = 8;

/// Layout shared by both families: q [batch][kv_heads*group][head_dim] bf16; K and V
/// [batch][kv_heads][capacity][head_dim] bf16 with `context` valid tokens; out like q.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub context: u32,
    pub capacity: u32,
    /// Also write max-pooled group-mean logits per block of `score_block` tokens.
    pub emit_scores: bool,
    pub score_block: u32,
}

pub(crate) fn validate_heads(family: &'static str, batch: u32, kv_heads: u32, group: u32, head_dim: u32, context: u32, capacity: u32) -> Result<(), ShapeError> {
    let fail = |reason: String| Err(ShapeError { family, reason });
    if batch == 0 || kv_heads == 0 {
        return fail(format!("empty input (batch {batch}, kv heads {kv_heads})"));
    }
    if !HEAD_DIMS.contains(&head_dim) {
        return fail(format!("head dim {head_dim} is not one of {HEAD_DIMS:?}"));
    }
    if group == 0 || group > MAX_GROUP {
        return fail(format!("GQA group {group} is outside 1..={MAX_GROUP}"));
    }
    if context == 0 {
        return fail("context is empty".into());
    }
    if context > capacity {
        return fail(format!("context {context} exceeds the cache capacity {capacity}"));
    }
    Ok(())
}

impl Shape for AttentionShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![
            ("HEAD_DIM", Constant::U32(self.head_dim)),
            ("GROUP", Constant::U32(self.group)),
            ("EMIT_SCORES", Constant::Bool(self.emit_scores)),
            ("SCORE_BLOCK", Constant::U32(self.score_block)),
            ("GATHER_MODE", Constant::U32(0)),
            ("GATHER_BLOCK", Constant::U32(1)),
            // Fixed splits only (the gather family's `fill`).
            ("FILL", Constant::U32(0)),
        ]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        validate_heads("decode_attention", self.batch, self.kv_heads, self.group, self.head_dim, self.context, self.capacity)?;
        if !self.score_block.is_power_of_two() || !(16..=256).contains(&self.score_block) {
            return Err(ShapeError { family: "decode_attention", reason: format!("score block {} is not a power of two in 16..=256", self.score_block) });
        }
        Ok(())
    }
}

impl AttentionShape {
    pub fn splits(&self, split_tokens: u32) -> u32 {
        self.context.div_ceil(split_tokens)
    }
    pub fn n_blocks(&self) -> u32 {
        self.context.div_ceil(self.score_block)
    }
}

/// CTAs per query head of `combine`: one per 32 columns (attention.cu's COMBINE_COLS).
pub fn combine_column_ranges(head_dim: u32) -> u32 {
    (head_dim / 32).max(1)
}

/// Tokens a warp takes per step: UNROLL tokens per lane, 32/(head_dim/8) tokens per load; on
/// tensor cores (`mma` = 2) one tile of 16 tokens (UNROLL is then the depth of its ring); with
/// TMA staging (`mma` = 3) one unit of 32 rows.
pub fn warp_chunk(head_dim: u32, unroll: u32, mma: u32) -> u32 {
    match mma {
        0 => unroll * (32 / (head_dim / 8)),
        3 => TMA_UNIT,
        _ => 16,
    }
}

/// Rows of a TMA-staged unit (attention.cu's UNIT): one box of 32 rows x 64 dims per 64 dims.
pub const TMA_UNIT: u32 = 32;

/// Threads of the TMA path's CTAs: a producer warp and 6 or 4 consumer warps. The other modes
/// keep to 256 and 128, so their spaces do not grow.
pub fn tma_threads(threads: u32, mma: u32) -> bool {
    (threads == 224 || threads == 160) == (mma == 3)
}

/// TMA staging needs sm_90 (cp.async.bulk.tensor) and rows of 64 or 128 dims (whole boxes).
pub fn tma_available(head_dim: u32, arch: &str) -> bool {
    let sm = arch.strip_prefix("sm_").and_then(|v| v.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<u32>().ok());
    sm.is_some_and(|v| v >= 90) && (head_dim == 64 || head_dim == 128)
}

/// The attention families' `mma` = 3 is their TMA path.
pub fn tma_serves(mma: u32, head_dim: u32, arch: &str) -> bool {
    mma != 3 || tma_available(head_dim, arch)
}

/// The tensor-core path: at least one tile in flight beside the one being read.
pub fn mma_fits(unroll: u32, mma: u32) -> bool {
    mma == 0 || unroll >= 2
}

/// Dynamic shared memory of `attend`. `mma` = 2: per warp UNROLL slots of one tile's 16 K and
/// 16 V rows, each row padded by 16 bytes (attention.cu's RING_TILE). `mma` = 3: per consumer
/// warp (all but one) UNROLL slots of one unit's K and V boxes (UNIT_BYTES), and 1 KB to align
/// them for the swizzle.
pub fn ring_bytes(head_dim: u32, threads: u32, unroll: u32, mma: u32) -> u32 {
    match mma {
        0 => 0,
        3 => (threads / 32 - 1) * unroll * 2 * head_dim.div_ceil(64) * TMA_UNIT * 128 + 1024,
        _ => (threads / 32) * unroll * 2 * 16 * (head_dim * 2 + 16),
    }
}

/// Static shared memory of `attend`: per-warp partial outputs, maxima and sums, and the rings'
/// per-slot valid-row masks (`mma` = 3: and two barriers a slot).
pub fn attend_static_bytes(group: u32, head_dim: u32, threads: u32, unroll: u32, mma: u32) -> u32 {
    let barriers = if mma == 3 { (threads / 32) * unroll * 20 } else { 0 };
    (threads / 32) * (group * (head_dim + 2) + unroll) * 4 + barriers
}

sdec_dsl::kernel_family! {
    /// Split-KV flash-decoding with log-sum-exp combine; `emit_scores` adds block scores.
    pub family DecodeAttention {
        name = "decode_attention";
        source = "cuda/attention.cu";
        shape = AttentionShape;
        params {
            /// 160 and 224 for `mma` = 3 only (a producer warp and 4 or 6 consumers). 160 comes
            /// first: the tuner takes the earliest declared within its window, and inside a step
            /// 224 slows the projections after it (`lychee` b1 +0.31 ms, its down and gate|up
            /// products +5.6 and +3 µs a layer: decode.md section 34), likely because its 208 KB
            /// of shared memory leaves their SMs 28 KB of L1 where 160's 157 KB leaves 92.
            threads: u32 = [256, 128, 160, 224],
            /// Tokens per CTA (one split of the KV range).
            split_tokens: u32 = [1024, 256, 512, 2048, 4096, 8192],
            /// 16-byte K and V loads per lane in flight (with `mma`: ring slots of 16-token tiles).
            unroll: u32 = [2, 1, 4, 8],
            /// Tensor cores for q.k and p.v, as in the gather family: tiles staged per warp by
            /// cp.async (2) or units staged by a producer warp's TMA copies (3, sm_90; at b1
            /// 128K 1.02x the byte floor where the others reach 1.06x: kernels.md, session 28).
            #[mode]
            mma: u32 = [0, 2, 3],
        }
        constraints {
            threads % 32 == 0,
            mma_fits(unroll, mma),
            // The per-warp ring emits no block scores (see the gather family).
            !shape.emit_scores || mma != 2,
            tma_threads(threads, mma),
            tma_serves(mma, shape.head_dim, &limits.arch),
            split_tokens % shape.score_block == 0,
            // A warp's step must not straddle two score blocks.
            shape.score_block % warp_chunk(shape.head_dim, unroll, mma) == 0,
            attend_static_bytes(shape.group, shape.head_dim, threads, unroll, mma) <= 48 * 1024,
            attend_static_bytes(shape.group, shape.head_dim, threads, unroll, mma) + ring_bytes(shape.head_dim, threads, unroll, mma) <= limits.max_smem_per_block,
        }
        kernels {
            attend(grid = (shape.batch * shape.kv_heads * shape.splits(split_tokens), 1, 1), block = (threads, 1, 1),
                   smem = ring_bytes(shape.head_dim, threads, unroll, mma)),
            combine(grid = (shape.batch * shape.kv_heads * shape.group, combine_column_ranges(shape.head_dim), 1), block = (shape.head_dim, 1, 1), smem = 0),
        }
    }
}

/// Attention over per-(batch, KV head) lists. Dense heads (`dense[h]`) read the whole context;
/// sparse heads read `entries` list entries, each a token id (`gather_block` = 1) or the id of a
/// block of `gather_block` tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatherShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub context: u32,
    pub capacity: u32,
    pub gather_block: u32,
    /// List length of every sparse head (its row stride too).
    pub entries: u32,
    /// Per KV head: read densely.
    pub dense: Vec<bool>,
    /// Dense heads also write block scores (LycheeDecode's retrieval heads), as
    /// [`AttentionShape::emit_scores`] does; rows of sparse heads are left untouched.
    #[serde(default)]
    pub emit_scores: bool,
    #[serde(default = "default_score_block")]
    pub score_block: u32,
    /// The sparse heads' lists are runs of consecutive ids, as LycheeDecode's index lays them out
    /// (sink, recent window, blocks; -1 where they overlap), which `mma` = 3 reads as whole TMA
    /// boxes. Not part of the kernel: the tuner draws its bench lists so.
    #[serde(default)]
    pub runs: bool,
}

fn default_score_block() -> u32 {
    64
}

impl GatherShape {
    pub fn n_blocks(&self) -> u32 {
        self.context.div_ceil(self.score_block)
    }
}

impl Shape for GatherShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![
            ("HEAD_DIM", Constant::U32(self.head_dim)),
            ("GROUP", Constant::U32(self.group)),
            ("EMIT_SCORES", Constant::Bool(self.emit_scores)),
            ("SCORE_BLOCK", Constant::U32(self.score_block)),
            ("GATHER_MODE", Constant::U32(1)),
            ("GATHER_BLOCK", Constant::U32(self.gather_block)),
        ]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        validate_heads("gather_attention", self.batch, self.kv_heads, self.group, self.head_dim, self.context, self.capacity)?;
        let fail = |reason: String| Err(ShapeError { family: "gather_attention", reason });
        if self.dense.len() != self.kv_heads as usize {
            return fail(format!("dense-head mask has {} entries for {} KV heads", self.dense.len(), self.kv_heads));
        }
        if self.gather_block == 0 || !self.gather_block.is_power_of_two() || self.gather_block > 256 {
            return fail(format!("gather block {} is not a power of two in 1..=256", self.gather_block));
        }
        if !self.score_block.is_power_of_two() || !(16..=256).contains(&self.score_block) {
            return fail(format!("score block {} is not a power of two in 16..=256", self.score_block));
        }
        // Lists may be longer than the context (padding, or a budget beyond it); token ids must
        // stay in 32 bits.
        if self.entries as u64 * self.gather_block as u64 > i32::MAX as u64 {
            return fail(format!("{} entries of {} tokens overflow 32-bit token ids", self.entries, self.gather_block));
        }
        Ok(())
    }
}

sdec_dsl::kernel_family! {
    /// Hybrid dense/sparse attention in one launch, work balanced across splits, + combine.
    pub family GatherAttention {
        name = "gather_attention";
        source = "cuda/attention.cu";
        shape = GatherShape;
        params {
            /// 160 and 224 for `mma` = 3 only (a producer warp and 4 or 6 consumers). 160 comes
            /// first: the tuner takes the earliest declared within its window, and inside a step
            /// 224 slows the projections after it (`lychee` b1 +0.31 ms, its down and gate|up
            /// products +5.6 and +3 µs a layer: decode.md section 34), likely because its 208 KB
            /// of shared memory leaves their SMs 28 KB of L1 where 160's 157 KB leaves 92.
            threads: u32 = [256, 128, 160, 224],
            split_tokens: u32 = [1024, 256, 512, 2048, 4096, 8192, 144, 288],
            /// 16-byte K and V loads per lane in flight (with `mma`: ring slots of 16-token tiles).
            unroll: u32 = [2, 1, 4, 8],
            /// Tensor cores for q.k and p.v (mma.m16n8k16) instead of CUDA-core FMAs, tiles staged
            /// per warp in shared memory by cp.async (2; the value 1, fragments loaded from
            /// global memory into registers, was slower on every shape: decode.md section 14),
            /// or units of 32 rows staged by a producer warp's TMA copies for the others (3,
            /// sm_90; runs of a list as boxes: LycheeDecode's lists, dense heads).
            #[mode]
            mma: u32 = [0, 2, 3],
            /// 0: pieces of `split_tokens`; f > 0: all heads' work cut into about f pieces per
            /// SM, equal within a head, in one wave (plan.rs), each CTA's registers bounded so
            /// that f of them fit an SM.
            fill: u32 = [0, 1, 2],
        }
        constraints {
            threads % 32 == 0,
            mma_fits(unroll, mma),
            // A filled plan does not use the split size: one value of it stands for them all.
            fill == 0 || split_tokens == 1024,
            // The per-warp ring emits no block scores: with them it was as fast or faster
            // alone, but LycheeDecode's steps were slower with it in their scoring layers (b1
            // +0.06 ms, b2 +0.12 ms; decode.md section 14).
            !shape.emit_scores || mma != 2,
            tma_threads(threads, mma),
            tma_serves(mma, shape.head_dim, &limits.arch),
            // One CTA of the TMA path fills an SM's shared memory.
            mma != 3 || fill < 2,
            attend_static_bytes(shape.group, shape.head_dim, threads, unroll, mma) <= 48 * 1024,
            attend_static_bytes(shape.group, shape.head_dim, threads, unroll, mma) + ring_bytes(shape.head_dim, threads, unroll, mma) <= limits.max_smem_per_block,
            // Scoring dense heads: splits and warp steps must not straddle score blocks.
            !shape.emit_scores || split_tokens % shape.score_block == 0,
            !shape.emit_scores || shape.score_block % warp_chunk(shape.head_dim, unroll, mma) == 0,
        }
        kernels {
            attend(grid = (plan::work_count(shape, plan::Cut::of(split_tokens, fill, limits)), 1, 1), block = (threads, 1, 1),
                   smem = ring_bytes(shape.head_dim, threads, unroll, mma)),
            combine(grid = (shape.batch * shape.kv_heads * shape.group, combine_column_ranges(shape.head_dim), 1), block = (shape.head_dim, 1, 1), smem = 0),
        }
    }
}

/// Representative baked shapes for CI's compile check (the fuzzer covers groups 1..=8 on the
/// GPU): Llama-3.1-8B's d=128 with groups 4 and 8, SmolLM2's d=64 with group 3, with and
/// without fused scores.
pub fn standard_decode_shapes() -> Vec<AttentionShape> {
    [(128, 4, false), (128, 4, true), (64, 3, true), (128, 8, false)]
        .into_iter()
        .map(|(head_dim, group, emit_scores)| AttentionShape {
            batch: 1, kv_heads: 8, group, head_dim, context: 131072, capacity: 131072, emit_scores, score_block: 64,
        })
        .collect()
}

/// Token lists and block lists, 2 of 8 KV heads dense, as in the benchmark; with and
/// without scores from the dense heads (the decode loop's LycheeDecode layers).
pub fn standard_gather_shapes() -> Vec<GatherShape> {
    [(128, 4, 1, false), (128, 4, 64, false), (64, 3, 1, true), (128, 7, 64, false), (128, 4, 1, true)]
        .into_iter()
        .map(|(head_dim, group, gather_block, emit_scores)| GatherShape {
            batch: 8, kv_heads: 8, group, head_dim, context: 131072, capacity: 131072, gather_block,
            entries: 4096 / gather_block, dense: (0..8).map(|h| h < 2).collect(), emit_scores, score_block: 64, runs: false,
        })
        .collect()
}

pub static DECODE_ENTRY: Entry<DecodeAttention> = Entry { standard_shapes: standard_decode_shapes };
pub static GATHER_ENTRY: Entry<GatherAttention> = Entry { standard_shapes: standard_gather_shapes };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{DeviceLimits, KernelFamily};

    #[test]
    fn the_ring_fits_shared_memory_and_leaves_scoring_to_cuda_cores() {
        let limits = DeviceLimits::default();
        for shape in standard_gather_shapes() {
            let space = GatherAttention::valid_space(&shape, &limits);
            let ring: Vec<_> = space.iter().filter(|c| c.mma == 2).collect();
            assert_eq!(ring.is_empty(), shape.emit_scores, "tensor-core configurations of {shape:?}");
            for c in ring {
                assert!(c.unroll >= 2, "{c:?}: a ring needs a slot in flight");
                let bytes = ring_bytes(shape.head_dim, c.threads, c.unroll, c.mma) + attend_static_bytes(shape.group, shape.head_dim, c.threads, c.unroll, c.mma);
                assert!(bytes <= limits.max_smem_per_block, "{c:?}: {bytes} bytes");
            }
        }
        // 8 warps x 4 slots x (16 K + 16 V rows of 272 bytes) at head dim 128: over the H100's 227 KB.
        assert_eq!(ring_bytes(128, 256, 4, 2), 8 * 4 * 32 * 272);
        let shape = &standard_gather_shapes()[0];
        let over = GatherAttentionConfig { threads: 256, split_tokens: 1024, unroll: 4, mma: 2, fill: 0 };
        assert!(GatherAttention::check(&over, shape, &limits).is_err());
        assert_eq!(ring_bytes(128, 256, 4, 0), 0, "the CUDA-core path has no ring");
    }

    #[test]
    fn the_tma_path_serves_head_dims_64_and_128_on_sm_90_with_its_own_thread_counts() {
        let limits = DeviceLimits::default();
        for shape in standard_gather_shapes() {
            let space = GatherAttention::valid_space(&shape, &limits);
            let tma: Vec<_> = space.iter().filter(|c| c.mma == 3).collect();
            assert!(!tma.is_empty(), "{shape:?}: no TMA configuration");
            for c in &tma {
                assert!([224, 160].contains(&c.threads) && c.fill < 2, "{c:?}");
                let bytes = ring_bytes(shape.head_dim, c.threads, c.unroll, 3) + attend_static_bytes(shape.group, shape.head_dim, c.threads, c.unroll, 3);
                assert!(bytes <= limits.max_smem_per_block, "{c:?}: {bytes} bytes");
            }
            // 224 and 160 threads belong to the TMA path alone.
            assert!(space.iter().all(|c| tma_threads(c.threads, c.mma)));
        }
        // 6 consumers x 2 slots x (2 K + 2 V boxes of 32 rows x 128 bytes) + the alignment.
        assert_eq!(ring_bytes(128, 224, 2, 3), 6 * 2 * 4 * 4096 + 1024);
        let shape = GatherShape { head_dim: 32, ..standard_gather_shapes()[0].clone() };
        assert!(GatherAttention::valid_space(&shape, &limits).iter().all(|c| c.mma != 3), "head dim 32 has no boxes");
        let ampere = DeviceLimits { arch: "sm_80".into(), ..limits.clone() };
        assert!(GatherAttention::valid_space(&standard_gather_shapes()[0], &ampere).iter().all(|c| c.mma != 3), "no TMA before sm_90");
        assert!(tma_serves(3, 128, "sm_90a") && tma_serves(3, 64, "sm_100") && !tma_serves(3, 128, "sm_86"));
    }
}
