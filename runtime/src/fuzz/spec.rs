//! Fuzzing of SpecAttn's kernels (cuda/spec.cu) against kernels-gen's `spec::reference`.
//!
//! `spec_score_logits` scores every layer in one launch from drawn verify logits coded in 8 bits
//! (sdec_kernels::logit_codes), each layer's own, at a layer stride with poisoned padding between
//! layers (as the runtime's buffers sized for the largest chunk): a wrong layer offset reads
//! poison or another layer's values. The reference scores the logits the codes give back. Verify
//! rows other than 0 and j get NaN for lse2, so a kernel reading a row it should not fails.
//! `spec_tokens` and `spec_accept` are exact.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::logit_codes;
use sdec_kernels::spec::{reference, Spec, SpecConfig, SpecShape};

use super::inputs::{compare, POISON_CODE, POISON_F32, POISON_I32};
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
        // Verify logits as the chunk attention computes them (−inf where a row does not see the
        // token), drawn directly, per layer [batch][kv_heads][qrows·group][capacity]; then coded
        // as it writes them, each layer's codes followed by poisoned padding up to the layer
        // stride; and given back as the selection sees them (`logits`, what the reference reads).
        let rows_per_kv = qrows * group;
        let per_seq = kvh * rows_per_kv * cap;
        let layer_codes = logit_codes::bytes(batch * kvh, rows_per_kv, cap);
        let codes_stride = layer_codes + 16 * [0, rng.gen_range(1..4)][rng.gen_range(0..2)];
        let mut codes = vec![POISON_CODE; layers * codes_stride];
        let (mut drawn, mut logits) = (Vec::with_capacity(layers * batch * per_seq), Vec::with_capacity(layers * batch * per_seq));
        let logits_stride = batch * per_seq;
        for l in 0..layers {
            let layer: Vec<f32> = (0..batch * per_seq)
                .map(|i| {
                    let (b, rho, t) = (i / per_seq, i / cap % rows_per_kv, i % cap);
                    if t > rows[b].0 + rho / group { f32::NEG_INFINITY } else { rng.gen_range(-8.0f32..8.0) * spread }
                })
                .collect();
            let coded = logit_codes::encode(rows_per_kv, cap, &layer);
            codes[l * codes_stride..][..layer_codes].copy_from_slice(&coded);
            logits.extend(logit_codes::decode(rows_per_kv, cap, &coded));
            drawn.extend(layer);
        }
        // lse2 of the used rows (of the logits before coding, as the verify pass has them); NaN
        // for the rest, so a kernel reading a row it should not fails.
        let lse_stride = batch * qrows * heads + [0, rng.gen_range(1..16)][rng.gen_range(0..2)];
        let mut lse2 = vec![POISON_F32; layers * lse_stride];
        for l in 0..layers {
            for (b, &(_, j)) in rows.iter().enumerate() {
                let at = l * logits_stride + b * per_seq;
                let all = reference::lse2_all(s, &drawn[at..at + per_seq]);
                for r in [0, j] {
                    let to = l * lse_stride + (b * qrows + r) * heads;
                    lse2[to..to + heads].copy_from_slice(&all[r * heads..(r + 1) * heads]);
                }
            }
        }
        let rows_flat: Vec<i32> = rows.iter().flat_map(|&(base, j)| [base as i32, j as i32]).collect();

        // Scores of every layer, [layers][batch][row_stride], in one launch.
        let per_layer = batch * row_stride;
        let mut out = upload(gpu, &vec![POISON_F32; layers * per_layer], "scores")?;
        let (dcodes, dl, dr) = (upload(gpu, &codes, "logit codes")?, upload(gpu, &lse2, "lse2")?, upload(gpu, &rows_flat, "rows")?);
        kernels.score_logits(gpu, &dcodes.as_view(), &dl.as_view(), (codes_stride, lse_stride), &dr.as_view(), &mut out.slice_mut(..), s.row_stride)?;
        let got_scores = download(&gpu.stream, &out, "scores")?;

        // Acceptance of a verify pass of n = qrows rows per sequence: tokens from a small
        // vocabulary, each sequence's drafts confirmed up to a drawn row (all, or a miss there).
        let n = qrows;
        let vocab = 4;
        let drafts: Vec<i32> = (0..batch * n).map(|_| rng.gen_range(0..vocab)).collect();
        let verified: Vec<i32> = (0..batch * n)
            .map(|i| if i % n + 1 < n && rng.gen_bool(0.8) { drafts[i + 1] } else { rng.gen_range(0..vocab) })
            .collect();
        let accept_base = rng.gen_range(0..cap);
        let force_row = rng.gen_bool(1.0 / 3.0).then(|| rng.gen_range(0..n + 2));  // past n - 1: kept as n - 1
        let (d_drafts, d_verified) = (upload(gpu, &drafts, "drafts")?, upload(gpu, &verified, "verified tokens")?);
        let poisoned = |len: usize| upload(gpu, &vec![POISON_I32; len], "acceptance outputs");
        let (mut a_result, mut a_next, mut a_pos, mut a_rows, mut a_sel) = (poisoned(batch * n + 1)?, poisoned(batch)?, poisoned(batch)?, poisoned(2 * batch)?, poisoned(batch)?);
        kernels.accept(
            gpu, &d_drafts.as_view(), &d_verified.as_view(), n, accept_base, &mut a_result.slice_mut(..), &mut a_next.slice_mut(..), &mut a_pos.slice_mut(..),
            &mut a_rows.slice_mut(..), &mut a_sel.slice_mut(..), force_row,
        )?;
        let got_accept: Vec<Vec<i32>> = [&a_result, &a_next, &a_pos, &a_rows, &a_sel].iter().map(|d| download(&gpu.stream, d, "acceptance outputs")).collect::<Result<_>>()?;

        // Token lists: k_valid picks per (layer, sequence) row with their scores, as a top-k taken
        // at a longer seqlen returns them: distinct positions below that sequence's sel_len in
        // any order, scores from a few values (ties), then positions past sel_len or -1 at -inf,
        // which the kernel must drop. The budget (ratio, least) makes it keep fewer than k_valid
        // in top-k order now and then.
        let k_valid = rng.gen_range(0..=s.entries - s.gamma) as usize;
        let sel_len: Vec<i32> = (0..batch).map(|_| rng.gen_range(1..=cap) as i32).collect();
        let ratio = [0.0, 0.07, 0.5, 1.0, rng.gen_range(0.0..1.0)][rng.gen_range(0..5)];
        let least = [0, 1, rng.gen_range(0..=k_valid + 2)][rng.gen_range(0..3)];
        let mut picks = Vec::with_capacity(layers * batch * k_valid);
        let mut pick_scores = Vec::with_capacity(layers * batch * k_valid);
        for row in 0..layers * batch {
            let len = sel_len[row % batch] as usize;
            let mut p: Vec<(i32, f32)> =
                rand::seq::index::sample(rng, len, k_valid.min(len)).into_iter().map(|t| (t as i32, rng.gen_range(0..6) as f32 * 0.125)).collect();
            let past = rand::seq::index::sample(rng, 200, k_valid.saturating_sub(len).min(200)).into_vec();
            p.extend((len..k_valid).map(|i| (past.get(i - len).map_or(-1, |&o| (len + o) as i32), f32::NEG_INFINITY)));
            p.shuffle(rng);
            picks.extend(p.iter().map(|&(t, _)| t));
            pick_scores.extend(p.iter().map(|&(_, v)| v));
        }
        let n_lists = layers * batch * kvh * s.entries as usize;
        let mut lists = upload(gpu, &vec![POISON_I32 - 1; n_lists.max(1)], "token lists")?;
        // An empty upload is refused; a kernel with k_valid = 0 reads no picks.
        let d_picks = upload(gpu, if picks.is_empty() { &[0][..] } else { &picks[..] }, "picks")?;
        let d_pick_scores = upload(gpu, if pick_scores.is_empty() { &[0.0][..] } else { &pick_scores[..] }, "pick scores")?;
        let d_sel = upload(gpu, &sel_len, "sel_len")?;
        {
            let mut view = lists.slice_mut(0..n_lists);
            kernels.tokens(gpu, &d_picks.as_view(), &d_pick_scores.as_view(), k_valid as u32, (ratio, least), &d_sel.as_view(), &mut view)?;
        }
        // Then a draft step begins at a position inside the round (sel_len + i, i < γ) or not:
        // its position into the lists, its input token into row i of a chunk of drawn rows.
        let step_pos: Vec<i32> = sel_len.iter().map(|&l| l + rng.gen_range(-2..s.gamma as i32 + 2)).collect();
        let step_tokens: Vec<i32> = (0..batch).map(|_| rng.gen_range(0..1000)).collect();
        let chunk_rows = rng.gen_range(1..=s.gamma as usize + 2);
        let mut chunk_in = upload(gpu, &vec![POISON_I32; batch * chunk_rows], "chunk inputs")?;
        {
            let mut view = lists.slice_mut(0..n_lists);
            let (d_pos, d_tokens) = (upload(gpu, &step_pos, "positions")?, upload(gpu, &step_tokens, "tokens")?);
            kernels.draft_begin(gpu, &mut view, &d_pos.as_view(), &d_sel.as_view(), &d_tokens.as_view(), &mut chunk_in.slice_mut(..), chunk_rows)?;
        }
        let got_lists = download(&gpu.stream, &lists, "token lists")?;
        let got_chunk = download(&gpu.stream, &chunk_in, "chunk inputs")?;

        let s = s.clone();
        Ok(Box::new(move || {
            let j = force_row.map_or_else(|| reference::accepted(&drafts, &verified, n), |r| r.min(n - 1));
            let next_pos = (accept_base + j + 1) as i32;
            let want_accept: [Vec<i32>; 5] = [
                std::iter::once(j as i32).chain(verified.iter().copied()).collect(),
                (0..batch).map(|b| verified[b * n + j]).collect(),
                vec![next_pos; batch],
                (0..batch).flat_map(|_| [accept_base as i32, j as i32]).collect(),
                vec![next_pos; batch],
            ];
            for (what, (got, want)) in ["result", "next tokens", "positions", "rows", "sel_len"].iter().zip(got_accept.iter().zip(&want_accept)) {
                if got != want {
                    return Some(format!("spec_accept {what}: {got:?} on the GPU, {want:?} expected (n {n}, forced row {force_row:?}, drafts {drafts:?}, verified {verified:?})"));
                }
            }
            let mut want = vec![POISON_F32; layers * per_layer];
            for l in 0..layers {
                for (b, &(base, j)) in rows.iter().enumerate() {
                    let lb = &lse2[l * lse_stride + b * qrows * heads..l * lse_stride + (b + 1) * qrows * heads];
                    let from = l * logits_stride + b * per_seq;
                    let at = l * per_layer + b * row_stride;
                    want[at..at + row_stride].copy_from_slice(&reference::score_row(&s, &logits[from..from + per_seq], lb, base, j));
                }
            }
            // The −inf past seqlen must match bit for bit.
            if let Some(i) = (0..want.len()).find(|&i| (want[i].is_infinite() || want[i].is_nan() || got_scores[i].is_infinite()) && want[i].to_bits() != got_scores[i].to_bits()) {
                return Some(format!("score {i} (layer {}, rows {rows:?}): {} on the GPU, {} expected", i / per_layer, got_scores[i], want[i]));
            }
            let finite = |v: &[f32]| v.iter().zip(&want).filter(|(_, w)| w.is_finite()).map(|(g, _)| *g).collect::<Vec<f32>>();
            // The same coded logits and f32 lse2 on both sides: exp2f's few ulps on each
            // probability and the fp32 sum over ≤ 2·64 heads (~1e-6 relative). rtol 1e-3 leaves
            // wide margin without hiding a wrong row, head or mask (those move scores by O(1)
            // relative); atol 1e-5 covers scores near fp32 underflow.
            if let Some(why) = compare("spec_score_logits", &finite(&got_scores), &finite(&want), 1e-5, 1e-3) {
                return Some(format!("{why} ({layers} layers, rows {rows:?})"));
            }
            let want_lists: Vec<i32> = (0..layers * batch)
                .flat_map(|row| {
                    let (at, len) = (row * k_valid..(row + 1) * k_valid, sel_len[row % batch]);
                    let mut list = reference::tokens_row(&s, &picks[at.clone()], &pick_scores[at], len, reference::budget(ratio, least, len as usize));
                    reference::list_append(&s, &mut list, step_pos[row % batch], len);
                    (0..kvh).flat_map(move |_| list.clone())
                })
                .collect();
            let mut want_chunk = vec![POISON_I32; batch * chunk_rows];
            for b in 0..batch {
                let i = step_pos[b] as i64 - sel_len[b] as i64;
                if (0..(s.gamma as i64).min(chunk_rows as i64)).contains(&i) {
                    want_chunk[b * chunk_rows + i as usize] = step_tokens[b];
                }
            }
            if got_chunk != want_chunk {
                return Some(format!("draft step chunk inputs {got_chunk:?}, expected {want_chunk:?} (positions {step_pos:?}, sel_len {sel_len:?})"));
            }
            if got_lists[..n_lists] != want_lists[..] {
                let i = got_lists.iter().zip(&want_lists).position(|(a, b)| a != b).unwrap_or(0);
                return Some(format!("list slot {i}: {} on the GPU, {} expected (k_valid {k_valid}, budget ratio {ratio} least {least}, sel_len {sel_len:?}, step positions {step_pos:?})", got_lists[i], want_lists[i]));
            }
            None
        }))
    }
}
