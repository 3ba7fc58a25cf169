//! Fuzzing of the `lfps` family against `sdec_kernels::lfps::reference`: the −∞ positions (non-
//! candidates) exactly; candidate scores as block scores (fp32 dot products of unit-normal bf16
//! values against the reference's f64 sums: atol 1e-3, rtol 1e-4).

use rand::seq::index::sample;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::lfps::{reference, Lfps, LfpsConfig, LfpsShape};

use super::inputs::{bf16_normal, compare, POISON_F32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::lfps::LfpsKernels;
use crate::launch::{download, upload};

impl FuzzFamily for Lfps {
    fn size(s: &Self::Shape) -> u64 {
        (s.batch * s.kv_heads) as u64 * s.capacity as u64 * s.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> LfpsShape {
        let capacity = match rng.gen_range(0..6) {
            0 => rng.gen_range(1..8),
            1..=4 => rng.gen_range(8..3000),
            _ => rng.gen_range(3000..20_000),
        };
        LfpsShape {
            batch: rng.gen_range(1..=3),
            kv_heads: rng.gen_range(1..=4),
            group: [1, 4, 7, 8, rng.gen_range(1..=8)][rng.gen_range(0..5)],
            head_dim: [16, 32, 64, 128][rng.gen_range(0..4)],
            capacity,
            k: rng.gen_range(1..=capacity.min(400)),
        }
    }

    fn run_case(gpu: &Gpu, config: &LfpsConfig, s: &LfpsShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernels = LfpsKernels::new(gpu, *config, s.clone())?;
        let (rows, kk, cap, d, g) = (s.batch as usize * s.kv_heads as usize, s.k as usize, s.capacity as usize, s.head_dim as usize, s.group as usize);
        let context = rng.gen_range(kk.max(1)..=cap);
        let w = rng.gen_range(0..=4u32);
        // Each row: k distinct positions below the context, ascending; sometimes a −1 tail.
        let picks: Vec<i32> = (0..rows)
            .flat_map(|_| {
                let mut p: Vec<i32> = sample(rng, context, kk).into_iter().map(|x| x as i32).collect();
                p.sort_unstable();
                if rng.gen_bool(0.2) {
                    let keep = rng.gen_range(0..kk);
                    p[keep..].iter_mut().for_each(|x| *x = -1);
                }
                p
            })
            .collect();
        let (q_bits, q) = bf16_normal(rng, rows * g * d, 1.0);
        let (k_bits, k) = bf16_normal(rng, rows * cap * d, 1.0);
        let mut scores = upload(gpu, &vec![POISON_F32; rows * context], "scores")?;
        kernels.candidate_scores(gpu, &upload(gpu, &q_bits, "q")?, &upload(gpu, &k_bits, "K cache")?, &upload(gpu, &picks, "picks")?, w, context as u32, &mut scores)?;
        let got = download(&gpu.stream, &scores, "scores")?;
        let s = s.clone();
        Ok(Box::new(move || {
            let want = reference::candidate_scores(&s, &q, &k, &picks, w as i32, context as u32);
            // compare() lets a finite value pass where −∞ is wanted (∞ − ∞): check those first.
            if let Some(i) = (0..want.len()).find(|&i| (want[i] == f32::NEG_INFINITY) != (got[i] == f32::NEG_INFINITY)) {
                return Some(format!("candidates: position {} of row {}: got {} want {}", i % context, i / context, got[i], want[i]));
            }
            compare("candidate scores", &got, &want, 1e-3, 1e-4)
        }))
    }
}
