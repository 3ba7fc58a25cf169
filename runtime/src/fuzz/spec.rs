//! Fuzzing of SpecAttn's kernels (cuda/spec.cu) against kernels-gen's `spec::reference`.
//!
//! `spec_score_logits` (from drawn fp16 verify logits) is written into one layer's rows of a
//! buffer holding several layers (a view at an offset, as the runtime does), and the other
//! layers' rows must stay poisoned. Verify rows other
//! than 0 and j get NaN for lse2, so a kernel reading a row it should not fails. `spec_tokens` is
//! exact.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::spec::{reference, Spec, SpecConfig, SpecShape};

use super::inputs::{compare, POISON_F32, POISON_I32};
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
        let (batch, qrows, heads, cap, kvh) = (s.batch as usize, s.qrows as usize, s.n_heads() as usize, s.capacity as usize, s.kv_heads as usize);
        let (group, row_stride, layers) = (s.group as usize, s.row_stride as usize, s.layers as usize);
        // A wider spread makes the probabilities peaked, a narrow one near uniform.
        let spread = [0.3f32, 1.0, 3.0][rng.gen_range(0..3)];
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
        // Verify logits as the chunk attention writes them (fp16, −inf where a row does not see
        // the token), drawn directly: [batch][kv_heads][qrows·group][capacity].
        let rows_per_kv = qrows * group;
        let logits: Vec<f32> = (0..batch * kvh * rows_per_kv * cap)
            .map(|i| {
                let (b, rho, t) = (i / (kvh * rows_per_kv * cap), i / cap % rows_per_kv, i % cap);
                if t > rows[b].0 + rho / group { f32::NEG_INFINITY } else { half::f16::from_f32(rng.gen_range(-8.0f32..8.0) * spread).to_f32() }
            })
            .collect();
        // lse2 of the used rows; NaN for the rest, so a kernel reading a row it should not fails.
        let per_seq = kvh * rows_per_kv * cap;
        let mut lse2 = vec![POISON_F32; batch * qrows * heads];
        for (b, &(_, j)) in rows.iter().enumerate() {
            let all = reference::lse2_all(s, &logits[b * per_seq..(b + 1) * per_seq]);
            for r in [0, j] {
                lse2[(b * qrows + r) * heads..(b * qrows + r + 1) * heads].copy_from_slice(&all[r * heads..(r + 1) * heads]);
            }
        }
        let rows_flat: Vec<i32> = rows.iter().flat_map(|&(base, j)| [base as i32, j as i32]).collect();

        // Scores into layer `layer` of a [layers][batch][row_stride] buffer.
        let layer = rng.gen_range(0..layers);
        let per_layer = batch * row_stride;
        let mut out = upload(gpu, &vec![POISON_F32; layers * per_layer], "scores")?;
        let logit_bits: Vec<u16> = logits.iter().map(|&x| half::f16::from_f32(x).to_bits()).collect();
        let (dlog, dl, dr) = (upload(gpu, &logit_bits, "logits")?, upload(gpu, &lse2, "lse2")?, upload(gpu, &rows_flat, "rows")?);
        {
            let mut view = out.slice_mut(layer * per_layer..(layer + 1) * per_layer);
            kernels.score_logits(gpu, &dlog.as_view(), &dl.as_view(), &dr.as_view(), &mut view, s.row_stride)?;
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
                let lb = &lse2[b * qrows * heads..(b + 1) * qrows * heads];
                let at = layer * per_layer + b * row_stride;
                want[at..at + row_stride].copy_from_slice(&reference::score_row(&s, &logits[b * per_seq..(b + 1) * per_seq], lb, base, j));
            }
            // The −inf past seqlen and the poison of the other layers must match bit for bit.
            if let Some(i) = (0..want.len()).find(|&i| (want[i].is_infinite() || want[i].is_nan() || got_scores[i].is_infinite()) && want[i].to_bits() != got_scores[i].to_bits()) {
                return Some(format!("score {i} (layer {layer}, rows {rows:?}): {} on the GPU, {} expected", got_scores[i], want[i]));
            }
            let finite = |v: &[f32]| v.iter().zip(&want).filter(|(_, w)| w.is_finite()).map(|(g, _)| *g).collect::<Vec<f32>>();
            // The same fp16 logits and f32 lse2 on both sides: exp2f's few ulps on each
            // probability and the fp32 sum over ≤ 2·64 heads (~1e-6 relative). rtol 1e-3 leaves
            // wide margin without hiding a wrong row, head or mask (those move scores by O(1)
            // relative); atol 1e-5 covers scores near fp32 underflow.
            if let Some(why) = compare("spec_score_logits", &finite(&got_scores), &finite(&want), 1e-5, 1e-3) {
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
