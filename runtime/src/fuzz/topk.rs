//! Fuzzing of `topk` against `sdec_kernels::topk::reference`. Exact: same indices, same values.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::topk::{reference, Topk, TopkConfig, TopkShape, MAX_K, MAX_ROW};

use super::inputs::{f32_normal, f32_with_ties, POISON_F32, POISON_I32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::{download, upload};

impl FuzzFamily for Topk {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> TopkShape {
        let rows = [1, 1, 2, 3, 8, rng.gen_range(1..=16)][rng.gen_range(0..6)];
        let n = match rng.gen_range(0..10) {
            0 => 1,
            1..=4 => rng.gen_range(1..4096),
            5..=7 => rng.gen_range(4096..70_000),
            8 if rng.gen_bool(0.2) => rng.gen_range(300_000..=MAX_ROW),
            8 => rng.gen_range(70_000..300_000),
            _ => [2048, 4097, 32768, 131_072][rng.gen_range(0..4)],
        };
        let k = match rng.gen_range(0..6) {
            0 => 1,
            1 => n.min(MAX_K),
            _ => rng.gen_range(1..=n.min(MAX_K)),
        };
        // At most 2M scores a case, to keep inputs and the reference quick.
        let rows = rows.min((2_000_000 / n).max(1));
        TopkShape { rows, n, k }
    }

    fn run_case(gpu: &Gpu, config: &TopkConfig, shape: &TopkShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let (rows, n, k) = (shape.rows as usize, shape.n as usize, shape.k as usize);
        let scores = if rng.gen_bool(0.3) {
            let distinct = rng.gen_range(1..40);
            f32_with_ties(rng, rows * n, distinct)
        } else {
            f32_normal(rng, rows * n, 3.0)
        };
        let kernel = TopkKernel::new(gpu, *config, shape.clone())?;
        let d_scores = upload(gpu, &scores, "top-k scores")?;
        let mut d_idx = upload(gpu, &vec![POISON_I32; rows * k], "top-k indices")?;
        let mut d_val = upload(gpu, &vec![POISON_F32; rows * k], "top-k values")?;
        let mut scratch = TopkScratch::new(gpu, shape, config)?;
        kernel.launch(gpu, &d_scores, &mut d_idx, &mut d_val, &mut scratch)?;
        let got_idx = download(&gpu.stream, &d_idx, "top-k indices")?;
        let got_val = download(&gpu.stream, &d_val, "top-k values")?;
        Ok(Box::new(move || {
            let (want_idx, want_val) = reference::topk_rows(&scores, n, k);
            for r in 0..rows {
                let (g, w) = (&got_idx[r * k..(r + 1) * k], &want_idx[r * k..(r + 1) * k]);
                if let Some(j) = (0..k).find(|&j| g[j] as u32 != w[j]) {
                    return Some(format!("row {r}: index {j} is {} (value {}), expected {} (value {})", g[j], got_val[r * k + j], w[j], want_val[r * k + j]));
                }
            }
            (0..rows * k)
                .find(|&j| got_val[j].to_bits() != want_val[j].to_bits())
                .map(|j| format!("value {j} is {}, expected {}", got_val[j], want_val[j]))
        }))
    }
}
