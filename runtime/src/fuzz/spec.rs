//! Fuzzing of SpecAttn's kernels (cuda/spec.cu) against kernels-gen's `spec::reference`.
//!
//! `spec_score` is written into one layer's rows of a buffer holding several layers (a view at an
//! offset, as the runtime does), and the other layers' rows must stay poisoned. Verify rows other
//! than 0 and j get NaN for lse2, so a kernel reading a row it should not fails. `spec_tokens` is
//! exact.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sdec_kernels::spec::{reference, Spec, SpecConfig, SpecShape};

use super::inputs::{bf16_normal, compare, POISON_F32, POISON_I32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::spec::SpecKernels;
use crate::launch::{download, upload};

impl FuzzFamily for Spec {
    fn size(shape: &Self::Shape) -> u64 {
        shape.batch as u64 * shape.kv_heads as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> SpecShape {
        // Capacities around and off the tile sizes, so contexts end mid-tile.
        let capacity = [rng.gen_range(1..3000), 64, 128, 257, rng.gen_range(1..300)][rng.gen_range(0..5)];
        let row_stride = match rng.gen_range(0..4) {
            0 => capacity + rng.gen_range(1..300),
            1 => rng.gen_range(1..=capacity),
            _ => capacity,
        };
        let gamma = rng.gen_range(0..=8);
        SpecShape {
            batch: rng.gen_range(1..=4),
            kv_heads: rng.gen_range(1..=8),
            group: rng.gen_range(1..=8),
            head_dim: [16, 32, 64, 128][rng.gen_range(0..4)],
            qrows: rng.gen_range(1..=8),
            capacity,
            row_stride,
            layers: rng.gen_range(1..=3),
            entries: gamma + [0, 1, rng.gen_range(1..400)][rng.gen_range(0..3)],
            gamma,
        }
    }

    fn run_case(gpu: &Gpu, config: &SpecConfig, s: &SpecShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernels = SpecKernels::new(gpu, *config, s.clone())?;
        let (batch, qrows, heads, d, cap, kvh) = (s.batch as usize, s.qrows as usize, s.n_heads() as usize, s.head_dim as usize, s.capacity as usize, s.kv_heads as usize);
        let (group, row_stride, layers) = (s.group as usize, s.row_stride as usize, s.layers as usize);
        let scale = rng.gen_range(0.5f32..1.5) / (d as f32).sqrt();
        // A wider q makes the probabilities peaked, a narrow one near uniform.
        let q_scale = [0.3, 1.0, 3.0][rng.gen_range(0..3)];
        let (q_bits, q) = bf16_normal(rng, batch * qrows * heads * d, q_scale);
        let (k_bits, k) = bf16_normal(rng, batch * kvh * cap * d, 1.0);
        // Per sequence {base, j} with base + j < capacity, the edges included.
        let rows: Vec<(usize, usize)> = (0..batch)
            .map(|_| {
                let j = rng.gen_range(0..qrows.min(cap));
                let base = match rng.gen_range(0..4) {
                    0 => 0,
                    1 => cap - 1 - j,
                    _ => rng.gen_range(0..cap - j),
                };
                (base, j)
            })
            .collect();
        // lse2 from the same data for the used rows; NaN for the rest.
        let mut lse2 = vec![POISON_F32; batch * qrows * heads];
        lse2.par_iter_mut().enumerate().for_each(|(i, l)| {
            let (b, r, h) = (i / (qrows * heads), i / heads % qrows, i % heads);
            let (base, j) = rows[b];
            if r == 0 || r == j {
                let k_head = &k[(b * kvh + h / group) * cap * d..];
                *l = reference::lse2(&q[i * d..(i + 1) * d], k_head, base + r + 1, scale);
            }
        });
        let rows_flat: Vec<i32> = rows.iter().flat_map(|&(base, j)| [base as i32, j as i32]).collect();

        // Scores into layer `layer` of a [layers][batch][row_stride] buffer.
        let layer = rng.gen_range(0..layers);
        let per_layer = batch * row_stride;
        let mut out = upload(gpu, &vec![POISON_F32; layers * per_layer], "scores")?;
        let (dq, dl, dk, dr) = (upload(gpu, &q_bits, "q")?, upload(gpu, &lse2, "lse2")?, upload(gpu, &k_bits, "K")?, upload(gpu, &rows_flat, "rows")?);
        {
            let mut view = out.slice_mut(layer * per_layer..(layer + 1) * per_layer);
            kernels.score(gpu, &dq.as_view(), &dl.as_view(), &dk.as_view(), &dr.as_view(), &mut view, s.row_stride, scale)?;
        }
        let got_scores = download(&gpu.stream, &out, "scores")?;

        // Token lists: k_valid picks per (layer, sequence) row, distinct positions below that
        // sequence's sel_len in any order; past sel_len (a top-k shared by shorter sequences)
        // they hold positions beyond it or -1, which the kernel must drop.
        let k_valid = rng.gen_range(0..=s.entries - s.gamma) as usize;
        let sel_len: Vec<i32> = (0..batch).map(|_| rng.gen_range(1..=cap) as i32).collect();
        let picks: Vec<i32> = (0..layers * batch)
            .flat_map(|row| {
                let len = sel_len[row % batch] as usize;
                let mut p: Vec<i32> = rand::seq::index::sample(rng, len, k_valid.min(len)).into_iter().map(|t| t as i32).collect();
                p.extend((len..k_valid).map(|_| if rng.gen_bool(0.5) { -1 } else { (len + rng.gen_range(0..100)) as i32 }));
                p.shuffle(rng);
                p
            })
            .collect();
        let n_lists = layers * batch * kvh * s.entries as usize;
        let mut lists = upload(gpu, &vec![POISON_I32 - 1; n_lists.max(1)], "token lists")?;
        // An empty upload is refused; a kernel with k_valid = 0 reads no picks.
        let d_picks = upload(gpu, if picks.is_empty() { &[0][..] } else { &picks[..] }, "picks")?;
        let d_sel = upload(gpu, &sel_len, "sel_len")?;
        {
            let mut view = lists.slice_mut(0..n_lists);
            kernels.tokens(gpu, &d_picks.as_view(), k_valid as u32, &d_sel.as_view(), &mut view)?;
        }
        let got_lists = download(&gpu.stream, &lists, "token lists")?;

        let s = s.clone();
        Ok(Box::new(move || {
            let mut want = vec![POISON_F32; layers * per_layer];
            for (b, &(base, j)) in rows.iter().enumerate() {
                let qb = &q[b * qrows * heads * d..(b + 1) * qrows * heads * d];
                let lb = &lse2[b * qrows * heads..(b + 1) * qrows * heads];
                let kb = &k[b * kvh * cap * d..(b + 1) * kvh * cap * d];
                let at = layer * per_layer + b * row_stride;
                want[at..at + row_stride].copy_from_slice(&reference::score_row(&s, qb, lb, kb, base, j, scale));
            }
            // The −inf past seqlen and the poison of the other layers must match bit for bit.
            if let Some(i) = (0..want.len()).find(|&i| (want[i].is_infinite() || want[i].is_nan() || got_scores[i].is_infinite()) && want[i].to_bits() != got_scores[i].to_bits()) {
                return Some(format!("score {i} (layer {layer}, rows {rows:?}): {} on the GPU, {} expected", got_scores[i], want[i]));
            }
            let finite = |v: &[f32]| v.iter().zip(&want).filter(|(_, w)| w.is_finite()).map(|(g, _)| *g).collect::<Vec<f32>>();
            // Each probability is exp2f of an fp32 logit minus lse2: the fp32 dot (≤ 128 products,
            // query pre-scaled) and the host's f32-rounded lse2 err by ≲ 1e-5 in log2 units for
            // the logits drawn here (|logit| ≲ 40), so p by ≲ 1e-5 relative; exp2f adds a few ulps
            // and the fp32 sum over ≤ 2·64 heads ~1e-6 relative. rtol 1e-3 leaves wide margin
            // without hiding a wrong row, head or mask (those move scores by O(1) relative);
            // atol 1e-5 covers scores near fp32 underflow.
            if let Some(why) = compare("spec_score", &finite(&got_scores), &finite(&want), 1e-5, 1e-3) {
                return Some(format!("{why} (layer {layer}, rows {rows:?})"));
            }
            let want_lists: Vec<i32> = (0..layers * batch)
                .flat_map(|row| {
                    let list = reference::tokens_row(&s, &picks[row * k_valid..(row + 1) * k_valid], sel_len[row % batch]);
                    (0..kvh).flat_map(move |_| list.clone())
                })
                .collect();
            if got_lists[..n_lists] != want_lists[..] {
                let i = got_lists.iter().zip(&want_lists).position(|(a, b)| a != b).unwrap_or(0);
                return Some(format!("list slot {i}: {} on the GPU, {} expected (k_valid {k_valid}, sel_len {sel_len:?})", got_lists[i], want_lists[i]));
            }
            None
        }))
    }
}
