//! Fuzzing of `block_score` against `sdec_kernels::attention::reference::block_scores`
//! (fp32 dot products: atol 1e-3, rtol 1e-4).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::attention::reference;
use sdec_kernels::block_score::{BlockScore, BlockScoreConfig, BlockScoreShape};

use super::inputs::{bf16_normal, compare, POISON_F32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::block_score::BlockScoreKernel;
use crate::launch::{download, upload};

impl FuzzFamily for BlockScore {
    fn size(shape: &Self::Shape) -> u64 {
        (shape.batch * shape.kv_heads) as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> BlockScoreShape {
        let context = match rng.gen_range(0..8) {
            0 => 1,
            1..=5 => rng.gen_range(2..3000),
            _ => rng.gen_range(3000..40_000),
        };
        BlockScoreShape {
            batch: rng.gen_range(1..=8),
            kv_heads: rng.gen_range(1..=4),
            group: [1, 4, 7, 8, rng.gen_range(1..=8)][rng.gen_range(0..5)],
            head_dim: [16, 32, 64, 128, 64, 128][rng.gen_range(0..6)],
            context,
            capacity: context + rng.gen_range(0..64),
            // 1: TidalDecode's token scores (`token_score`).
            score_block: [1, 16, 32, 64, 128][rng.gen_range(0..5)],
        }
    }

    fn run_case(gpu: &Gpu, config: &BlockScoreConfig, shape: &BlockScoreShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = BlockScoreKernel::new(gpu, *config, shape.clone())?;
        let heads = (shape.batch * shape.kv_heads) as usize;
        let (q_bits, q) = bf16_normal(rng, heads * (shape.group * shape.head_dim) as usize, 1.0);
        let (k_bits, k) = bf16_normal(rng, heads * (shape.capacity * shape.head_dim) as usize, 1.0);
        let (dq, dk) = (upload(gpu, &q_bits, "q")?, upload(gpu, &k_bits, "K cache")?);
        let mut scores = upload(gpu, &vec![POISON_F32; heads * shape.n_blocks() as usize], "block scores")?;
        kernel.launch(gpu, &dq, &dk, &mut scores)?;
        let got = download(&gpu.stream, &scores, "block scores")?;
        let s = shape.clone();
        Ok(Box::new(move || {
            let want = reference::block_scores(s.batch, s.kv_heads, s.group, s.head_dim, s.context, s.capacity, s.score_block, &q, &k);
            compare("block scores", &got, &want, 1e-3, 1e-4)
        }))
    }
}
