//! Shape buckets and presets. A bucket is the shape an entry is tuned for and looked up by:
//! the run-time sizes (batch, rows, context, k, list length) rounded up to a power of two; the
//! values baked into the source (head dim, group, flags, block sizes, widths) kept exactly. A
//! preset lists labelled representative shapes per family; the standard preset is the issue's.

use sdec_kernels::attention::{AttentionShape, ChunkAttention, ChunkShape, DecodeAttention, GatherAttention, GatherShape};
use sdec_kernels::block_score::{BlockScore, BlockScoreShape};
use sdec_kernels::glue::{Argmax, Embed, KvAppend, RmsNorm, Rope, RowShape, Swiglu};
use sdec_kernels::linear::{Linear, LinearIn, LinearOut, LinearShape};
use sdec_kernels::topk::{Topk, TopkShape};
use sdec_kernels::KernelFamily;

/// A family the tuner knows how to bucket and which shapes it tunes.
pub trait Tunable: KernelFamily {
    /// The canonical shape of the bucket `shape` falls in.
    fn bucket(shape: &Self::Shape) -> Self::Shape;
    /// The labelled shapes of a preset for this family (empty when it tunes none there).
    fn preset(preset: Preset) -> Vec<PresetShape<Self::Shape>>;
}

/// The bucket's identity in the cache key.
pub fn bucket_id<F: Tunable>(shape: &F::Shape) -> String {
    serde_json::to_string(&F::bucket(shape)).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
pub struct PresetShape<S> {
    pub label: String,
    pub shape: S,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The shapes at 128K context.
    Standard,
    /// A few small shapes (16K context) for smoke tests.
    Quick,
}

impl Preset {
    pub const NAMES: [&'static str; 2] = ["standard", "quick"];

    pub fn parse(name: &str) -> Option<Preset> {
        match name {
            "standard" => Some(Preset::Standard),
            "quick" => Some(Preset::Quick),
            _ => None,
        }
    }
}

fn pow2(x: u32) -> u32 {
    x.max(1).checked_next_power_of_two().unwrap_or(x)
}

fn shape<S>(label: impl Into<String>, shape: S) -> PresetShape<S> {
    PresetShape { label: label.into(), shape }
}

fn ctx_label(context: u32) -> String {
    if context % 1024 == 0 { format!("{}k", context / 1024) } else { context.to_string() }
}

/// Llama-3.1-8B's attention: 32 query heads on 8 KV heads of 128.
fn llama_decode(batch: u32, context: u32, emit_scores: bool) -> AttentionShape {
    AttentionShape { batch, kv_heads: 8, group: 4, head_dim: 128, context, capacity: context, emit_scores, score_block: 64 }
}

impl Tunable for DecodeAttention {
    fn bucket(s: &AttentionShape) -> AttentionShape {
        let context = pow2(s.context);
        AttentionShape { batch: pow2(s.batch), context, capacity: context, ..s.clone() }
    }

    fn preset(preset: Preset) -> Vec<PresetShape<AttentionShape>> {
        let (batches, context): (&[u32], u32) = match preset {
            Preset::Standard => (&[1, 2, 8], 131072),
            Preset::Quick => (&[1], 16384),
        };
        let mut out = Vec::new();
        for &b in batches {
            for emit in [false, true] {
                let label = format!("b{b}-ctx{}{}", ctx_label(context), if emit { "-scores" } else { "" });
                out.push(shape(label, llama_decode(b, context, emit)));
            }
        }
        // The decode loop's short contexts (4K and up to 8K fall in this bucket): few tokens per
        // head want smaller splits than 128K's.
        if preset == Preset::Standard {
            out.push(shape("b1-ctx8k", llama_decode(1, 8192, false)));
        }
        out
    }
}

impl Tunable for ChunkAttention {
    fn bucket(s: &ChunkShape) -> ChunkShape {
        let context = pow2(s.context);
        ChunkShape { batch: pow2(s.batch), context, capacity: context, ..s.clone() }
    }

    /// SpecAttn's verification of γ = 6 drafts (7 queries) on Llama-3.1-8B's heads, writing the
    /// logits its selection reads: batch 1 at 8K and 128K, batch 2 at 128K (the decode
    /// benchmark's second batch; untuned, it would run the family's default).
    fn preset(preset: Preset) -> Vec<PresetShape<ChunkShape>> {
        let cases: &[(u32, u32)] = match preset {
            Preset::Standard => &[(1, 8192), (1, 131072), (2, 131072)],
            Preset::Quick => &[(1, 16384)],
        };
        cases
            .iter()
            .map(|&(batch, context)| {
                let s = ChunkShape { batch, kv_heads: 8, group: 4, head_dim: 128, qrows: 7, context, capacity: context, logits: true };
                shape(format!("b{batch}-q7-ctx{}", ctx_label(context)), s)
            })
            .collect()
    }
}

/// 4096 selected tokens per sparse head (as tokens or blocks of 64), `dense` of 8 KV heads dense.
fn llama_gather(context: u32, dense: u32, gather_block: u32) -> GatherShape {
    GatherShape {
        batch: 8, kv_heads: 8, group: 4, head_dim: 128, context, capacity: context, gather_block,
        entries: 4096 / gather_block, dense: (0..8).map(|h| h < dense).collect(), emit_scores: false, score_block: 64, runs: false,
    }
}

/// The decode loop's sparse layers on Llama-3.1-8B at 128K, every head reading a token list
/// of `entries` (`runs`: in LycheeDecode's layout, else scattered tokens) and the first `dense`
/// heads the whole context with their block scores.
fn decode_loop_gather(batch: u32, entries: u32, dense: u32, runs: bool) -> GatherShape {
    GatherShape {
        batch, kv_heads: 8, group: 4, head_dim: 128, context: 131072, capacity: 131072, gather_block: 1,
        entries, dense: (0..8).map(|h| h < dense).collect(), emit_scores: dense > 0, score_block: 64, runs,
    }
}

impl Tunable for GatherAttention {
    /// Which heads are dense does not change the work, only how many: the bucket keeps the count
    /// (as the first heads), so every layer of a head map with one retrieval head shares it.
    fn bucket(s: &GatherShape) -> GatherShape {
        let context = pow2(s.context);
        let dense_heads = s.dense.iter().filter(|d| **d).count();
        let dense = (0..s.dense.len()).map(|h| h < dense_heads).collect();
        GatherShape { batch: pow2(s.batch), context, capacity: context, entries: pow2(s.entries), dense, ..s.clone() }
    }

    fn preset(preset: Preset) -> Vec<PresetShape<GatherShape>> {
        let (cases, context): (&[(u32, u32)], u32) = match preset {
            Preset::Standard => (&[(0, 1), (0, 64), (2, 1), (2, 64)], 131072),
            Preset::Quick => (&[(2, 64)], 16384),
        };
        let mut out: Vec<_> = cases
            .iter()
            .map(|&(dense, block)| {
                let list = if block == 1 { "4096tok".to_string() } else { format!("4096in{block}") };
                shape(format!("b8-ctx{}-{list}-dense{dense}", ctx_label(context)), llama_gather(context, dense, block))
            })
            .collect();
        if preset == Preset::Standard {
            // LycheeDecode (4096 budget + 128 sink + 256 recent): layers with one retrieval
            // head and layers with none, as the 9% head map has them.
            for batch in [1, 2] {
                out.push(shape(format!("b{batch}-ctx128k-lychee"), decode_loop_gather(batch, 4480, 1, true)));
                out.push(shape(format!("b{batch}-ctx128k-lychee-sparse"), decode_loop_gather(batch, 4480, 0, true)));
            }
            // SpecAttn's drafts: 7% of 128K + γ = 6 appended positions.
            out.push(shape("b1-ctx128k-specattn", decode_loop_gather(1, 9175 + 6, 0, false)));
            // TidalDecode's sparse layers: 4096 picked tokens per KV head.
            out.push(shape("b1-ctx128k-tidal", decode_loop_gather(1, 4096, 0, false)));
        }
        out
    }
}

impl Tunable for Topk {
    fn bucket(s: &TopkShape) -> TopkShape {
        let n = pow2(s.n);
        TopkShape { rows: pow2(s.rows), n, k: pow2(s.k).min(n) }
    }

    fn preset(preset: Preset) -> Vec<PresetShape<TopkShape>> {
        let shapes = match preset {
            // The three, then the decode loop's: LycheeDecode's block picks at batch 1
            // and 2 (8 KV heads x 2048 blocks of 64), SpecAttn's selection (32 layers x 7%),
            // TidalDecode's picks (8 KV heads x 4096 tokens).
            Preset::Standard => vec![(8, 131072, 9175), (64, 131072, 2048), (64, 2048, 64), (8, 2048, 64), (16, 2048, 64), (32, 131072, 9175), (8, 131072, 4096)],
            Preset::Quick => vec![(8, 16384, 1147)],
        };
        shapes.into_iter().map(|(rows, n, k)| shape(format!("{rows}x{n}-k{k}"), TopkShape { rows, n, k })).collect()
    }
}

impl Tunable for BlockScore {
    fn bucket(s: &BlockScoreShape) -> BlockScoreShape {
        let context = pow2(s.context);
        BlockScoreShape { batch: pow2(s.batch), context, capacity: context, ..s.clone() }
    }

    fn preset(preset: Preset) -> Vec<PresetShape<BlockScoreShape>> {
        let context = if preset == Preset::Standard { 131072 } else { 16384 };
        let s = BlockScoreShape { batch: 1, kv_heads: 8, group: 4, head_dim: 128, context, capacity: context, score_block: 64 };
        // TidalDecode's token scores at its selection layers.
        let tokens = BlockScoreShape { score_block: 1, ..s.clone() };
        vec![shape(format!("b1-ctx{}", ctx_label(context)), s), shape(format!("b1-ctx{}-tokens", ctx_label(context)), tokens)]
    }
}

fn row_bucket(s: &RowShape) -> RowShape {
    RowShape { rows: pow2(s.rows), capacity: if s.capacity == 0 { 0 } else { pow2(s.capacity) }, ..s.clone() }
}

macro_rules! glue_tunable {
    ($family:ty, $rows:expr, $n:expr, $head_dim:expr, $capacity:expr) => {
        impl Tunable for $family {
            fn bucket(s: &RowShape) -> RowShape {
                row_bucket(s)
            }

            fn preset(preset: Preset) -> Vec<PresetShape<RowShape>> {
                let capacity: u32 = if preset == Preset::Standard { $capacity } else { ($capacity as u32).min(16384) };
                vec![shape("llama8b-b1", RowShape { rows: $rows, n: $n, head_dim: $head_dim, capacity })]
            }
        }
    };
}

// Llama-3.1-8B at batch 1: hidden 4096, 32 query heads of 128, FFN 14336, 8 KV heads, vocab 128256.
glue_tunable!(RmsNorm, 1, 4096, 0, 0);
glue_tunable!(Rope, 1, 4096, 128, 0);
glue_tunable!(Swiglu, 1, 14336, 0, 0);
glue_tunable!(KvAppend, 8, 128, 128, 131072);
glue_tunable!(Argmax, 1, 128256, 0, 0);
glue_tunable!(Embed, 1, 4096, 0, 0);

/// A linear layer's bucket is its exact shape: batch and output mode are baked, and the matrix
/// sizes are few per model.
impl Tunable for Linear {
    fn bucket(s: &LinearShape) -> LinearShape {
        s.clone()
    }

    fn preset(preset: Preset) -> Vec<PresetShape<LinearShape>> {
        // Llama-3.1-8B's projections as the decode step runs them (same at every context; q|k|v
        // with RoPE and the KV append), at
        // batch 1; the standard preset adds batch 2 and the 7 rows of SpecAttn's verification
        // (γ = 6), which go through tensor cores.
        use {LinearIn as I, LinearOut as O};
        let batches: &[u32] = if preset == Preset::Standard { &[1, 2, 7] } else { &[1] };
        let layers = [("qkv", 6144, 4096, I::RmsNorm, O::RopeAppend { head_dim: 128, kv_heads: 8 }), ("o", 4096, 4096, I::Bf16, O::AddF32), ("gate-up", 28672, 4096, I::RmsNorm, O::SwiGlu),
            ("down", 4096, 14336, I::F32, O::AddF32), ("lm-head", 128256, 4096, I::RmsNorm, O::F32)];
        batches
            .iter()
            .flat_map(|&batch| {
                layers.iter().map(move |&(label, out_dim, in_dim, input, out)| {
                    shape(format!("llama8b-b{batch}-{label}"), LinearShape { batch, out_dim, in_dim, input, out })
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sdec_kernels::family::Shape;
    use sdec_kernels::DeviceLimits;

    fn check_preset<F: Tunable>()
    where
        F::Shape: PartialEq,
    {
        for preset in [Preset::Standard, Preset::Quick] {
            let shapes = F::preset(preset);
            assert!(!shapes.is_empty(), "{} has shapes in every preset", F::NAME);
            for s in &shapes {
                s.shape.validate().unwrap_or_else(|e| panic!("{} {}: {e}", F::NAME, s.label));
                assert!(!F::valid_space(&s.shape, &DeviceLimits::default()).is_empty(), "{} {}", F::NAME, s.label);
                let b = F::bucket(&s.shape);
                assert_eq!(F::bucket(&b), b, "bucketing is idempotent");
                let config = F::default_config(&s.shape, &DeviceLimits::default()).unwrap();
                assert_eq!(F::render(&config, &b), F::render(&config, &s.shape), "a bucket keeps the baked values");
            }
            let mut labels: Vec<_> = shapes.iter().map(|s| s.label.clone()).collect();
            labels.dedup();
            assert_eq!(labels.len(), shapes.len(), "labels are distinct");
        }
    }

    #[test]
    fn presets_are_valid_and_buckets_keep_baked_values() {
        check_preset::<DecodeAttention>();
        check_preset::<ChunkAttention>();
        check_preset::<GatherAttention>();
        check_preset::<Topk>();
        check_preset::<BlockScore>();
        check_preset::<RmsNorm>();
        check_preset::<Rope>();
        check_preset::<Swiglu>();
        check_preset::<KvAppend>();
        check_preset::<Argmax>();
        check_preset::<Embed>();
        check_preset::<Linear>();
    }

    #[test]
    fn runtime_shapes_fall_in_the_preset_buckets() {
        let preset = DecodeAttention::preset(Preset::Standard);
        let mut s = preset[0].shape.clone();
        s.context = 100_000;
        s.capacity = 120_000;
        assert_eq!(bucket_id::<DecodeAttention>(&s), bucket_id::<DecodeAttention>(&preset[0].shape));
        s.context = 140_000;
        assert_ne!(bucket_id::<DecodeAttention>(&s), bucket_id::<DecodeAttention>(&preset[0].shape));
        let t = TopkShape { rows: 8, n: 131072, k: 9000 };
        assert_eq!(bucket_id::<Topk>(&t), bucket_id::<Topk>(&Topk::preset(Preset::Standard)[0].shape));
        let mut g = GatherAttention::preset(Preset::Standard)[0].shape.clone();
        g.batch = 5;
        g.entries = 3000;
        assert_eq!(bucket_id::<GatherAttention>(&g), bucket_id::<GatherAttention>(&GatherAttention::preset(Preset::Standard)[0].shape));
        // A LycheeDecode layer whose retrieval head is KV head 5, at batch 1 and 128K.
        let lychee = GatherAttention::preset(Preset::Standard).into_iter().find(|p| p.label == "b1-ctx128k-lychee").unwrap().shape;
        let mut layer = lychee.clone();
        layer.dense = (0..8).map(|h| h == 5).collect();
        layer.context = 131_000;
        layer.capacity = 131_072;
        assert_eq!(bucket_id::<GatherAttention>(&layer), bucket_id::<GatherAttention>(&lychee));
        layer.dense[2] = true;
        assert_ne!(bucket_id::<GatherAttention>(&layer), bucket_id::<GatherAttention>(&lychee), "two dense heads are another bucket");
    }
}
