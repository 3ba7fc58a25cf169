//! Fuzzing of the `quest` family against `sdec_kernels::quest::reference`: page bounds and page
//! lists are exact (min/max of bf16 values, integers); page scores are fp32 sums of HEAD_DIM
//! products of bf16 values, |Δ| ≤ 2e-3 + 1e-5·|want| (fp32 rounding of ≤ 128 terms of unit-normal
//! products, summed in another order than the reference's f64).

use rand::seq::index::sample;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::quest::{reference, Quest, QuestConfig, QuestShape};

use super::inputs::{bf16_normal, compare, POISON_BF16, POISON_F32, POISON_I32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::quest::QuestKernels;
use crate::launch::{download, upload};

impl FuzzFamily for Quest {
    fn size(s: &Self::Shape) -> u64 {
        (s.batch * s.kv_heads) as u64 * s.capacity as u64 * s.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> QuestShape {
        let batch = rng.gen_range(1..=3);
        let rows_per_seq = [1, rng.gen_range(1..=8)][rng.gen_range(0..2)];
        QuestShape {
            batch,
            kv_heads: rng.gen_range(1..=3),
            group: [1, 4, 7, 8, rng.gen_range(1..=8)][rng.gen_range(0..5)],
            head_dim: [16, 32, 64, 128][rng.gen_range(0..4)],
            page: [16, 16, 32, 64, 1][rng.gen_range(0..5)],
            capacity: rng.gen_range(8..4000),
            rows: batch * rows_per_seq,
            entries: rng.gen_range(1..300),
        }
    }

    fn run_case(gpu: &Gpu, config: &QuestConfig, s: &QuestShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernels = QuestKernels::new(gpu, *config, s.clone())?;
        let (b, kvh, g, d, page, cap) = (s.batch as usize, s.kv_heads as usize, s.group as usize, s.head_dim as usize, s.page as usize, s.capacity as usize);
        let rows_per_seq = s.rows as usize / b;
        let pages_cap = s.pages_cap() as usize;
        let context = rng.gen_range(rows_per_seq.max(1)..=cap);
        let (k_bits, k) = bf16_normal(rng, b * kvh * cap * d, 1.0);
        // Rows of a sequence: consecutive positions ending at the context (a chunk), or one
        // random position each (a step).
        let pos: Vec<i32> = (0..b)
            .flat_map(|_| {
                if rows_per_seq == 1 {
                    vec![rng.gen_range(0..context) as i32]
                } else {
                    (context - rows_per_seq..context).map(|p| p as i32).collect()
                }
            })
            .collect();
        let meta_len = b * kvh * pages_cap * 2 * d;
        let d_k = upload(gpu, &k_bits, "K cache")?;
        let mut meta = upload(gpu, &vec![POISON_BF16; meta_len], "page bounds")?;
        kernels.pages(gpu, &d_k, &mut meta, &upload(gpu, &pos, "positions")?, s.rows, rows_per_seq as u32, context as u32)?;
        let got_meta = download(&gpu.stream, &meta, "page bounds")?;

        // Scores against bounds of every page (built on the host), then lists from random picks.
        let n_pages = context.div_ceil(page);
        let full_meta: Vec<f32> = (0..b * kvh)
            .flat_map(|head| {
                let k_head = &k[head * cap * d..(head + 1) * cap * d];
                (0..pages_cap).flat_map(move |p| {
                    let (t0, t1) = (p * page, ((p + 1) * page).min(context));
                    let (lo, hi) = if t0 < t1 { reference::page_bounds(k_head, d, t0, t1) } else { (vec![0.0; d], vec![0.0; d]) };
                    lo.into_iter().chain(hi)
                })
            })
            .collect();
        let full_bits: Vec<u16> = full_meta.iter().map(|v| (v.to_bits() >> 16) as u16).collect();
        let (q_bits, q) = bf16_normal(rng, b * kvh * g * d, 1.0);
        let mut scores = upload(gpu, &vec![POISON_F32; b * kvh * n_pages], "page scores")?;
        kernels.score(gpu, &upload(gpu, &q_bits, "q")?, &upload(gpu, &full_bits, "page bounds")?, &mut scores, context as u32)?;
        let got_scores = download(&gpu.stream, &scores, "page scores")?;

        let k_valid = rng.gen_range(0..=n_pages.min(s.entries as usize - 1));
        let picks: Vec<i32> = (0..b * kvh).flat_map(|_| sample(rng, n_pages, k_valid).into_vec().into_iter().map(|p| p as i32)).collect();
        // Poisoned with -2: distinct from the -1 padding the kernel writes.
        let mut lists = upload(gpu, &vec![POISON_I32 - 1; b * kvh * s.entries as usize], "page lists")?;
        kernels.list(gpu, &upload(gpu, &picks, "picks")?.slice(..), &mut lists, k_valid as u32, n_pages as u32)?;
        let got_lists = download(&gpu.stream, &lists, "page lists")?;

        let s = s.clone();
        Ok(Box::new(move || {
            // Bounds: every page a row touched, exactly; the others still poisoned.
            let mut want_meta = vec![POISON_BF16; meta_len];
            for (r, &p) in pos.iter().enumerate() {
                let seq = r / rows_per_seq;
                let pg = p as usize / page;
                for h in 0..kvh {
                    let at = ((seq * kvh + h) * pages_cap + pg) * 2 * d;
                    let src = ((seq * kvh + h) * pages_cap + pg) * 2 * d;
                    want_meta[at..at + 2 * d].copy_from_slice(&full_bits[src..src + 2 * d]);
                }
            }
            if got_meta != want_meta {
                return Some("page bounds differ from the min/max of the page's keys".into());
            }
            let want_scores: Vec<f32> = (0..b * kvh)
                .flat_map(|head| {
                    let queries: Vec<&[f32]> = (0..g).map(|j| &q[(head * g + j) * d..(head * g + j + 1) * d]).collect();
                    let full_meta = &full_meta;
                    (0..n_pages).map(move |p| {
                        let at = (head * pages_cap + p) * 2 * d;
                        reference::page_score(&queries, &full_meta[at..at + d], &full_meta[at + d..at + 2 * d])
                    })
                })
                .collect();
            let entries = s.entries as usize;
            let want_lists: Vec<i32> = (0..b * kvh).flat_map(|r| reference::list_row(&picks[r * k_valid..(r + 1) * k_valid], n_pages, entries)).collect();
            compare("page scores", &got_scores, &want_scores, 2e-3, 1e-5).or_else(|| (got_lists != want_lists).then(|| "page lists differ".to_string()))
        }))
    }
}
