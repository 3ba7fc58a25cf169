//! SpecAttn (Vegas) self-speculative decoding on the GPU (`cuda/spec.cu`): after a verify pass,
//! `spec_score_logits` turns the verify rows' attention probabilities — from the logits the
//! verify pass's chunk attention wrote, in 8 bits ([`crate::logit_codes`]) — into one selection
//! score per token and layer, and `spec_tokens` expands the top-k picks of those scores into the
//! draft steps' per-KV-head token lists. The references below restate sdec-model's `spec_scores`
//! (generate.rs, on the logits as the codes give them back) and `SpecDraft::select`
//! (policies/specattn.rs) for one sequence.

use serde::{Deserialize, Serialize};

use crate::attention::{HEAD_DIMS, MAX_GROUP};
use crate::family::{Constant, Shape, ShapeError};
use crate::registry::Entry;

/// Most verify rows per sequence (γ + 1): the kernel indexes q and lse2 by QROWS.
pub const MAX_QROWS: u32 = 8;

/// One verify pass of `qrows` query rows per sequence over a K cache
/// [batch][kv_heads][capacity][head_dim]; scores are written in rows of `row_stride` floats,
/// token lists for `layers` layers at once in rows of `entries` ids, `gamma` of them appended
/// positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecShape {
    pub batch: u32,
    pub kv_heads: u32,
    pub group: u32,
    pub head_dim: u32,
    pub qrows: u32,
    pub capacity: u32,
    /// Length of a score row (the top-k row length): tokens at or past seqlen score −inf.
    pub row_stride: u32,
    /// Layers whose scores one `spec_score_logits` launch and whose token lists one
    /// `spec_tokens` launch build.
    pub layers: u32,
    pub entries: u32,
    pub gamma: u32,
}

impl SpecShape {
    pub fn n_heads(&self) -> u32 {
        self.kv_heads * self.group
    }
}

impl Shape for SpecShape {
    fn baked(&self) -> Vec<(&'static str, Constant)> {
        vec![
            ("HEAD_DIM", Constant::U32(self.head_dim)),
            ("KV_HEADS", Constant::U32(self.kv_heads)),
            ("GROUP", Constant::U32(self.group)),
            ("QROWS", Constant::U32(self.qrows)),
        ]
    }

    fn validate(&self) -> Result<(), ShapeError> {
        let fail = |reason: String| Err(ShapeError { family: "spec", reason });
        if self.batch == 0 || self.kv_heads == 0 || self.layers == 0 {
            return fail(format!("empty batch (batch {}, kv heads {}, layers {})", self.batch, self.kv_heads, self.layers));
        }
        if !HEAD_DIMS.contains(&self.head_dim) {
            return fail(format!("head dim {} is not one of {HEAD_DIMS:?}", self.head_dim));
        }
        if self.group == 0 || self.group > MAX_GROUP {
            return fail(format!("GQA group {} is outside 1..={MAX_GROUP}", self.group));
        }
        if self.qrows == 0 || self.qrows > MAX_QROWS {
            return fail(format!("{} verify rows is outside 1..={MAX_QROWS}", self.qrows));
        }
        if self.capacity == 0 || self.row_stride == 0 {
            return fail(format!("empty cache or score row (capacity {}, row stride {})", self.capacity, self.row_stride));
        }
        if self.entries < self.gamma {
            return fail(format!("{} list entries cannot hold the {} appended positions", self.entries, self.gamma));
        }
        // Positions and list slots are 32-bit in the kernels.
        if self.capacity as u64 + self.gamma as u64 > i32::MAX as u64 || self.entries > i32::MAX as u32 {
            return fail(format!("capacity {} or entries {} do not fit 32-bit positions", self.capacity, self.entries));
        }
        Ok(())
    }
}

sdec_dsl::kernel_family! {
    /// SpecAttn selection scores after a verify pass, and the draft token lists from their top-k.
    pub family Spec {
        name = "spec";
        source = "cuda/spec.cu";
        shape = SpecShape;
        params {
            threads: u32 = [256, 128, 512],
        }
        constraints {
            threads % 32 == 0,
        }
        kernels {
            spec_score_logits(grid = (shape.row_stride.div_ceil(4 * threads), shape.batch, shape.layers), block = (threads, 1, 1), smem = 0),
            spec_tokens(grid = (shape.kv_heads, shape.batch, shape.layers), block = (threads, 1, 1), smem = 0),
            spec_accept(grid = (1, 1, 1), block = (threads, 1, 1), smem = 0),
            spec_draft_begin(grid = (1, shape.batch, shape.layers), block = (threads, 1, 1), smem = 0),
        }
    }
}

/// Llama-3.1-8B (8 KV heads of 4, head dim 128, 32 layers) and SmolLM2-135M (3 of 3, 64, 30
/// layers) with γ = 6 (7 verify rows) and the default budget of 7% of the capacity plus γ.
pub fn standard_shapes() -> Vec<SpecShape> {
    let shape = |kv_heads, group, head_dim, capacity: u32, layers| SpecShape {
        batch: 1,
        kv_heads,
        group,
        head_dim,
        qrows: 7,
        capacity,
        row_stride: capacity,
        layers,
        entries: (capacity * 7).div_ceil(100).max(256) + 6,
        gamma: 6,
    };
    vec![shape(8, 4, 128, 131072, 32), shape(3, 3, 64, 8192, 30)]
}

pub static ENTRY: Entry<Spec> = Entry { standard_shapes };

pub mod reference {
    use super::SpecShape;

    /// One sequence's verify logits as the chunk attention computes them (it writes them coded,
    /// [`crate::logit_codes::encode`]): [kv_heads][qrows·group]
    /// [capacity], row r·group + g holding scale·log2(e)·q·k_t of query head g of the KV head's
    /// group at verify row r (which sits at `base + r`) for t ≤ base + r, −inf after. q is
    /// [qrows][n_heads][head_dim], k [kv_heads][capacity][head_dim].
    pub fn verify_logits(s: &SpecShape, q: &[f32], k: &[f32], base: usize, scale: f32) -> Vec<f32> {
        let (d, cap, heads, group, qrows) = (s.head_dim as usize, s.capacity as usize, s.n_heads() as usize, s.group as usize, s.qrows as usize);
        let mut out = Vec::with_capacity(s.kv_heads as usize * qrows * group * cap);
        for kvh in 0..s.kv_heads as usize {
            for rho in 0..qrows * group {
                let (r, h) = (rho / group, kvh * group + rho % group);
                let qh = &q[(r * heads + h) * d..][..d];
                out.extend((0..cap).map(|t| {
                    if t > base + r {
                        return f32::NEG_INFINITY;
                    }
                    let dot: f64 = qh.iter().zip(&k[(kvh * cap + t) * d..][..d]).map(|(&a, &b)| a as f64 * b as f64).sum();
                    (scale as f64 * std::f64::consts::LOG2_E * dot) as f32
                }));
            }
        }
        out
    }

    /// log2 Σ exp2 of a row of logits (−inf entries add nothing): a verify row's lse2.
    pub fn lse2(logits: &[f32]) -> f32 {
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        (max + logits.iter().map(|&l| (l as f64 - max).exp2()).sum::<f64>().log2()) as f32
    }

    /// lse2 [qrows][n_heads] of one sequence's verify logits (layout of [`verify_logits`]).
    pub fn lse2_all(s: &SpecShape, logits: &[f32]) -> Vec<f32> {
        let (cap, heads, group, qrows) = (s.capacity as usize, s.n_heads() as usize, s.group as usize, s.qrows as usize);
        (0..qrows * heads).map(|i| lse2(&logits[((i % heads / group) * qrows * group + i / heads * group + i % heads % group) * cap..][..cap])).collect()
    }

    /// The `row_stride` scores of one sequence from its verify logits (layout of
    /// [`verify_logits`]) and lse2 [qrows][n_heads]: the mean over all query heads and the rows
    /// {0, j} ({0} when j = 0) of each row's causal softmax probability exp2(logit − lse2) (a row
    /// sees t ≤ base + r); −inf from seqlen = base + j + 1 on.
    pub fn score_row(s: &SpecShape, logits: &[f32], lse2: &[f32], base: usize, j: usize) -> Vec<f32> {
        let (cap, heads, group, rows_per_kv) = (s.capacity as usize, s.n_heads() as usize, s.group as usize, (s.qrows * s.group) as usize);
        let seqlen = base + j + 1;
        let rows: &[usize] = if j == 0 { &[0] } else { &[0, j] };
        let mut sum = vec![0f64; seqlen];
        for &r in rows {
            for h in 0..heads {
                let row = &logits[((h / group) * rows_per_kv + r * group + h % group) * cap..];
                let l = lse2[r * heads + h] as f64;
                for (t, acc) in sum.iter_mut().enumerate().take(base + r + 1) {
                    *acc += (row[t] as f64 - l).exp2();
                }
            }
        }
        let inv = 1.0 / (heads * rows.len()) as f64;
        let mut out: Vec<f32> = sum.into_iter().map(|x| (x * inv) as f32).collect();
        out.resize(s.row_stride as usize, f32::NEG_INFINITY);
        out.truncate(s.row_stride as usize);
        out
    }

    /// Greedy acceptance of a batch's verify pass (`spec_accept`): rows of n = γ + 1 tokens per
    /// sequence; row i confirms draft i + 1 when `verified[i] == drafts[i + 1]`; the batch keeps
    /// the shortest run of confirmations.
    pub fn accepted(drafts: &[i32], verified: &[i32], n: usize) -> usize {
        drafts
            .chunks(n)
            .zip(verified.chunks(n))
            .map(|(d, v)| (0..n - 1).take_while(|&i| v[i] == d[i + 1]).count())
            .min()
            .unwrap_or(0)
    }

    /// SpecAttn's draft budget at `seqlen` (sdec-model's `spec_budget`, as `spec_tokens` takes it:
    /// the ratio and the least budget).
    pub fn budget(ratio: f64, min: usize, seqlen: usize) -> usize {
        ((ratio * seqlen as f64).ceil() as usize).max(min).min(seqlen)
    }

    /// One KV head's list as `spec_tokens` lays it out from the top-k picks and their scores:
    /// the picks among the first `budget` in top-k order (score descending, position
    /// ascending, slot ascending) and inside 0..sel_len (a top-k taken at a longer seqlen can
    /// return positions past it), the others −1, then −1 (the last `gamma` slots wait for the
    /// draft steps' positions, [`list_append`]).
    pub fn tokens_row(s: &SpecShape, picks: &[i32], scores: &[f32], sel_len: i32, budget: usize) -> Vec<i32> {
        let mut order: Vec<usize> = (0..picks.len()).collect();
        order.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).unwrap_or(std::cmp::Ordering::Equal).then(picks[a].cmp(&picks[b])).then(a.cmp(&b)));
        let mut kept = vec![false; picks.len()];
        order.iter().take(budget).for_each(|&i| kept[i] = true);
        let mut out: Vec<i32> = picks.iter().zip(&kept).map(|(&p, &k)| if k && (0..sel_len).contains(&p) { p } else { -1 }).collect();
        out.resize(s.entries as usize, -1);
        out.truncate(s.entries as usize);
        out
    }

    /// A list after the draft step at position `pos` (`spec_draft_begin`): the step's slot,
    /// `entries − gamma + (pos − sel_len)`, holds `pos` when the step is one of the round's.
    pub fn list_append(s: &SpecShape, list: &mut [i32], pos: i32, sel_len: i32) {
        let i = pos as i64 - sel_len as i64;
        if (0..s.gamma as i64).contains(&i) {
            list[(s.entries - s.gamma) as usize + i as usize] = pos;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeviceLimits, KernelFamily};

    #[test]
    fn acceptance_keeps_the_shortest_run_of_confirmed_drafts() {
        // n = 4: drafts[0] is the step's input, drafts 1..3 the guesses; verified row i is the
        // model's token after input i.
        let drafts = [7, 1, 2, 3, 7, 1, 2, 3];
        assert_eq!(reference::accepted(&drafts, &[1, 2, 3, 9, 1, 2, 3, 9], 4), 3, "every draft confirmed");
        assert_eq!(reference::accepted(&drafts, &[1, 2, 3, 9, 1, 5, 3, 9], 4), 1, "the batch keeps the shorter");
        assert_eq!(reference::accepted(&drafts, &[4, 2, 3, 9, 1, 2, 3, 9], 4), 0, "a later match after a miss counts for nothing");
    }

    fn small() -> SpecShape {
        SpecShape { batch: 1, kv_heads: 2, group: 2, head_dim: 16, qrows: 4, capacity: 12, row_stride: 16, layers: 1, entries: 10, gamma: 3 }
    }

    /// Deterministic inputs spread enough that probabilities are far from uniform.
    fn inputs(s: &SpecShape) -> (Vec<f32>, Vec<f32>) {
        let (d, heads) = (s.head_dim as usize, s.n_heads() as usize);
        let wave = |i: usize, f: f32| ((i as f32 * f).sin() * 2.0 * 256.0).round() / 256.0;
        let q = (0..s.qrows as usize * heads * d).map(|i| wave(i, 0.37)).collect();
        let k = (0..s.kv_heads as usize * s.capacity as usize * d).map(|i| wave(i, 0.91)).collect();
        (q, k)
    }

    #[test]
    fn scores_sum_to_one_and_end_in_minus_infinity() {
        let s = small();
        let (q, k) = inputs(&s);
        let scale = 0.25;
        for (base, j) in [(0, 0), (7, 0), (5, 3), (8, 3)] {
            let logits = reference::verify_logits(&s, &q, &k, base, scale);
            let lse = reference::lse2_all(&s, &logits);
            let got = reference::score_row(&s, &logits, &lse, base, j);
            assert_eq!(got.len(), s.row_stride as usize);
            let seqlen = base + j + 1;
            // Every used row's probabilities sum to 1 over what it sees, so their mean does too.
            let total: f64 = got[..seqlen].iter().map(|&x| x as f64).sum();
            assert!((total - 1.0).abs() < 1e-5, "base {base} j {j}: sum {total}");
            assert!(got[..seqlen].iter().all(|&x| x > 0.0));
            assert!(got[seqlen..].iter().all(|&x| x == f32::NEG_INFINITY));
        }
    }

    #[test]
    fn j_zero_uses_row_zero_only_and_later_tokens_only_row_j() {
        let s = small();
        let (mut q, k) = inputs(&s);
        let (base, scale) = (6, 0.3);
        let logits = reference::verify_logits(&s, &q, &k, base, scale);
        let lse = reference::lse2_all(&s, &logits);
        let one = reference::score_row(&s, &logits, &lse, base, 0);
        // Rows other than 0 do not matter when j = 0.
        let row = s.n_heads() as usize * s.head_dim as usize;
        q[row..].iter_mut().for_each(|x| *x = -*x);
        let logits = reference::verify_logits(&s, &q, &k, base, scale);
        let lse = reference::lse2_all(&s, &logits);
        assert_eq!(one, reference::score_row(&s, &logits, &lse, base, 0));
        // With j = 2, tokens past base hold half of row 2's mass there (row 0 does not see them).
        let (d, heads, cap) = (s.head_dim as usize, s.n_heads() as usize, s.capacity as usize);
        let two = reference::score_row(&s, &logits, &lse, base, 2);
        let t = base + 2;
        let want: f64 = (0..heads)
            .map(|h| {
                let (qh, kt) = (&q[(2 * heads + h) * d..][..d], &k[((h / 2) * cap + t) * d..][..d]);
                let logit: f64 = qh.iter().zip(kt).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>() * scale as f64 * std::f64::consts::LOG2_E;
                (logit - lse[2 * heads + h] as f64).exp2()
            })
            .sum::<f64>()
            / (2 * heads) as f64;
        assert!((two[t] as f64 - want).abs() < 1e-6, "{} vs {want}", two[t]);
    }

    #[test]
    fn token_lists_hold_picks_then_the_drafts_positions() {
        let s = small();
        let mut list = reference::tokens_row(&s, &[4, 0, 2], &[0.5, 0.1, 0.2], 9, 3);
        assert_eq!(list, vec![4, 0, 2, -1, -1, -1, -1, -1, -1, -1]);
        // The draft steps at 9 and 10 fill the first two of the last γ = 3 slots; a position
        // before the selection or past its round leaves the list alone.
        for pos in [9, 10, 8, 12] {
            reference::list_append(&s, &mut list, pos, 9);
        }
        assert_eq!(list, vec![4, 0, 2, -1, -1, -1, -1, 9, 10, -1]);
        // Picks a top-k took past this sequence's selection are dropped.
        let past = f32::NEG_INFINITY;
        assert_eq!(reference::tokens_row(&s, &[3, 9, -1, 12], &[0.1, past, past, past], 9, 4), vec![3, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    }

    #[test]
    fn a_smaller_budget_drops_the_last_picks_in_top_k_order() {
        let s = small();
        // Ties go to the smaller position: of the two 0.2s, 2 ranks before 5.
        let (picks, scores) = ([5, 0, 2, 7], [0.2f32, 0.9, 0.2, 0.4]);
        assert_eq!(reference::tokens_row(&s, &picks, &scores, 9, 3)[..4], [-1, 0, 2, 7]);
        assert_eq!(reference::tokens_row(&s, &picks, &scores, 9, 2)[..4], [-1, 0, -1, 7]);
        assert_eq!(reference::tokens_row(&s, &picks, &scores, 9, 0)[..4], [-1, -1, -1, -1]);
    }

    #[test]
    fn the_budget_is_the_ratio_clamped_to_the_least_and_the_seqlen() {
        assert_eq!(reference::budget(0.07, 256, 131_072), 9176);
        assert_eq!(reference::budget(0.07, 256, 1000), 256);
        assert_eq!(reference::budget(0.07, 256, 100), 100);
        // One more token moves the budget by at most one (the runtime's drop is small).
        assert!((256..200_000).all(|n| reference::budget(0.07, 256, n + 1) - reference::budget(0.07, 256, n) <= 1));
    }

    #[test]
    fn bad_shapes_are_refused_with_the_cause() {
        let err = |f: fn(&mut SpecShape)| {
            let mut s = small();
            f(&mut s);
            s.validate().unwrap_err().to_string()
        };
        assert!(err(|s| s.head_dim = 96).contains("head dim 96"));
        assert!(err(|s| s.group = 0).contains("GQA group 0"));
        assert!(err(|s| s.group = 9).contains("GQA group 9"));
        assert!(err(|s| s.qrows = 0).contains("0 verify rows"));
        assert!(err(|s| s.qrows = 9).contains("9 verify rows"));
        assert!(err(|s| s.entries = 2).contains("cannot hold the 3 appended"));
        assert!(err(|s| s.batch = 0).contains("empty batch"));
        assert!(small().validate().is_ok());
    }

    #[test]
    fn standard_shapes_have_configurations() {
        for s in standard_shapes() {
            s.validate().unwrap();
            let valid = Spec::valid_space(&s, &DeviceLimits::default());
            assert!(valid.len() >= 3, "{s:?}: {valid:?}");
            let source = Spec::render(&valid[0], &s);
            assert!(source.contains(&format!("constexpr int QROWS = {};", s.qrows)));
        }
    }
}
