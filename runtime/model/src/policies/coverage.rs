//! Profiling for LycheeDecode's head map: how much of each (layer, KV head)'s true attention a sparse
//! head would keep, measured on calibration prompts.
//!
//! [`CoverageProfiler`] is a policy that answers `Dense` everywhere, so decoding follows `full` and the
//! attention it measures is the true distribution. At every decode step and every (layer l, KV head h) it
//! takes the head's *group attention* (the mean over the GQA group's query heads of the exact softmax over
//! the whole context) and, for every layer s ≤ l, the part of that mass inside what a sparse head at
//! (l, h) would read if (s, h) were the latest retrieval head of index h: sink + recent + the blocks (s, h)
//! would pick ([`LycheeParams::pick_blocks`], [`LycheeParams::read_mask`]). s = l is the head reading its
//! own picks, an upper bound for that head at this budget and block size.
//!
//! Because the trajectory is dense, these numbers do not depend on any head map: one pass scores every
//! map ([`CoverageProfile::coverage_under`]), so the greedy choice (`head_choice`) needs no model.

use super::{AttentionPolicy, HeadCtx, LycheeParams, PolicyStepStats};
use crate::attention::Selection;
use crate::error::{ModelError, Result};
use crate::generate::{argmax, Prefilled};
use crate::model::Model;
use crate::ops::dot_fast;
use serde::{Deserialize, Serialize};

/// Mean coverage over the decode steps measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverageProfile {
    pub n_layer: usize,
    pub n_kv_head: usize,
    /// Decode steps measured (each step gives one value per entry).
    pub samples: usize,
    /// `coverage[h][s][l]` for s ≤ l: mean mass of (l, h)'s group attention inside sink + recent + the
    /// picks of (s, h). Entries with s > l are 0 and unused.
    pub coverage: Vec<Vec<Vec<f64>>>,
}

impl CoverageProfile {
    pub fn empty(n_layer: usize, n_kv_head: usize) -> Self {
        Self {
            n_layer,
            n_kv_head,
            samples: 0,
            coverage: vec![vec![vec![0.0; n_layer]; n_layer]; n_kv_head],
        }
    }

    /// Mass of (layer, kv_head) read through the picks of (source, kv_head).
    pub fn get(&self, kv_head: usize, source: usize, layer: usize) -> f64 {
        self.coverage[kv_head][source][layer]
    }

    /// Pools two profiles of the same model, weighting each by its steps.
    pub fn merge(&mut self, other: &CoverageProfile) -> Result<()> {
        if (self.n_layer, self.n_kv_head) != (other.n_layer, other.n_kv_head) {
            return Err(ModelError::Config(format!(
                "coverage profiles of different shapes: {} x {} and {} x {}",
                self.n_layer, self.n_kv_head, other.n_layer, other.n_kv_head
            )));
        }
        let n = self.samples + other.samples;
        if n == 0 {
            return Ok(());
        }
        let (wa, wb) = (
            self.samples as f64 / n as f64,
            other.samples as f64 / n as f64,
        );
        for (a, b) in self.coverage.iter_mut().zip(&other.coverage) {
            for (ra, rb) in a.iter_mut().zip(b) {
                for (x, y) in ra.iter_mut().zip(rb) {
                    *x = *x * wa + *y * wb;
                }
            }
        }
        self.samples = n;
        Ok(())
    }

    /// Checks that the profile fits a model of `n_layer` x `n_kv_head` and holds coverages in [0, 1].
    pub fn validate(&self, n_layer: usize, n_kv_head: usize) -> Result<()> {
        let shape_ok = self.coverage.len() == self.n_kv_head
            && self
                .coverage
                .iter()
                .all(|m| m.len() == self.n_layer && m.iter().all(|r| r.len() == self.n_layer));
        if !shape_ok || (self.n_layer, self.n_kv_head) != (n_layer, n_kv_head) {
            return Err(ModelError::Config(format!(
                "coverage profile is for {} layers x {} KV heads (or malformed); the model has {n_layer} x {n_kv_head}",
                self.n_layer, self.n_kv_head
            )));
        }
        if self.samples == 0 {
            return Err(ModelError::Config(
                "coverage profile has no decode steps".into(),
            ));
        }
        let bad = self
            .coverage
            .iter()
            .flatten()
            .flatten()
            .any(|c| !(0.0..=1.0 + 1e-6).contains(c));
        if bad {
            return Err(ModelError::Config(
                "coverage profile holds a value outside [0, 1]".into(),
            ));
        }
        Ok(())
    }
}

/// The dense policy that measures coverage (see the module comment).
pub struct CoverageProfiler {
    p: LycheeParams,
    scale: f32,
    /// This step's read masks: `masks[layer][kv_head]`, what a sparse head reads through (layer, kv_head)'s picks.
    masks: Vec<Vec<Vec<bool>>>,
    /// This step's coverages, `[h][s][l]`.
    step: Vec<Vec<Vec<f64>>>,
    /// Σ over steps.
    sum: CoverageProfile,
}

impl CoverageProfiler {
    /// `p` gives budget, block, sink and recent (its `heads` is not used); `scale` is the model's
    /// attention scale ([`Model::attention_scale`]).
    pub fn new(p: LycheeParams, n_layer: usize, n_kv_head: usize, scale: f32) -> Self {
        Self {
            p,
            scale,
            masks: vec![vec![Vec::new(); n_kv_head]; n_layer],
            step: vec![vec![vec![0.0; n_layer]; n_layer]; n_kv_head],
            sum: CoverageProfile::empty(n_layer, n_kv_head),
        }
    }

    /// The mean over the steps measured so far.
    pub fn profile(&self) -> CoverageProfile {
        let mut out = self.sum.clone();
        let inv = 1.0 / self.sum.samples.max(1) as f64;
        out.coverage
            .iter_mut()
            .flatten()
            .flatten()
            .for_each(|c| *c *= inv);
        out
    }
}

/// The group attention of a KV head: mean over its query heads of softmax(scale · q · k) over every position.
pub fn group_attention(h: &HeadCtx<'_>, scale: f32) -> Vec<f64> {
    let mut mass = vec![0f64; h.ctx_len];
    let group = h.queries.nrows().max(1) as f64;
    for q in h.queries.rows() {
        let q = q.to_vec();
        let logits: Vec<f32> = (0..h.ctx_len)
            .map(|p| dot_fast(&q, h.key(p)) * scale)
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let w: Vec<f64> = logits.iter().map(|s| ((s - max) as f64).exp()).collect();
        let sum: f64 = w.iter().sum();
        for (m, x) in mass.iter_mut().zip(&w) {
            *m += x / sum / group;
        }
    }
    mass
}

impl AttentionPolicy for CoverageProfiler {
    fn name(&self) -> &'static str {
        "lychee-profile"
    }

    fn begin_step(&mut self, _ctx_len: usize) {
        self.masks.iter_mut().flatten().for_each(Vec::clear);
        self.step
            .iter_mut()
            .flatten()
            .flatten()
            .for_each(|c| *c = 0.0);
    }

    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        let (l, kv) = (h.layer, h.kv_head);
        if l >= self.masks.len() || kv >= self.step.len() {
            return Err(ModelError::Policy {
                policy: self.name().into(),
                why: format!("layer {l} head {kv} outside the profiled model"),
            });
        }
        self.masks[l][kv] = self.p.read_mask(&self.p.pick_blocks(h), h.ctx_len);
        let mass = group_attention(h, self.scale);
        for s in 0..=l {
            let mask = &self.masks[s][kv];
            // the forward pass asks layers in order, so every earlier mask is this step's
            if mask.len() == h.ctx_len {
                self.step[kv][s][l] = mass
                    .iter()
                    .zip(mask)
                    .filter(|(_, &k)| k)
                    .map(|(m, _)| m)
                    .sum();
            }
        }
        Ok(Selection::Dense)
    }

    fn end_step(&mut self) -> PolicyStepStats {
        for (a, b) in self.sum.coverage.iter_mut().zip(&self.step) {
            for (ra, rb) in a.iter_mut().zip(b) {
                ra.iter_mut().zip(rb).for_each(|(x, y)| *x += y);
            }
        }
        self.sum.samples += 1;
        PolicyStepStats::default()
    }
}

/// Greedy dense decoding of a prefilled prompt under a [`CoverageProfiler`] (up to `max_new_tokens`,
/// stopping after any of `stop_tokens`): the profile of its decode steps and the tokens generated
/// (`full`'s tokens, since every head reads densely).
pub fn profile_prompt(
    model: &Model,
    pre: Prefilled,
    p: &LycheeParams,
    max_new_tokens: usize,
    stop_tokens: &[u32],
) -> Result<(CoverageProfile, Vec<u32>)> {
    let cfg = &model.cfg;
    let mut prof = CoverageProfiler::new(
        p.clone(),
        cfg.n_layer,
        cfg.n_kv_head,
        model.attention_scale(),
    );
    let Prefilled {
        mut cache, logits, ..
    } = pre;
    cache.reserve((cache.len() + max_new_tokens).min(cfg.max_context));
    let mut tokens = Vec::new();
    let mut tok = argmax(&logits);
    tokens.push(tok);
    while tokens.len() < max_new_tokens && !stop_tokens.contains(&tok) {
        let out = model.decode(&mut cache, tok, &mut prof)?;
        tok = argmax(&out.logits);
        tokens.push(tok);
    }
    Ok((prof.profile(), tokens))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::choose_heads;
    use ndarray::Array2;

    const CTX: usize = 64;

    /// Keys of one KV head: `strength · e_dim` at the given positions, zero elsewhere.
    fn keys(dim: usize, at: &[usize], strength: f32) -> Array2<f32> {
        let mut k = Array2::zeros((CTX, 4));
        for &p in at {
            k[[p, dim]] = strength;
        }
        k
    }

    /// Two query heads per group, both `4 · e_dim`.
    fn queries(dim: usize) -> Array2<f32> {
        let mut q = Array2::zeros((2, 4));
        q[[0, dim]] = 4.0;
        q[[1, dim]] = 4.0;
        q
    }

    fn ask(
        prof: &mut CoverageProfiler,
        layer: usize,
        kv_head: usize,
        q: &Array2<f32>,
        k: &Array2<f32>,
    ) {
        let h = HeadCtx {
            layer,
            kv_head,
            ctx_len: CTX,
            queries: q.view(),
            keys: k.view(),
        };
        assert_eq!(prof.select(&h).unwrap(), Selection::Dense);
    }

    #[test]
    fn a_head_attending_far_from_the_shared_picks_is_measured_low_and_chosen() {
        // 2 blocks of 8, no sink or recent: a sparse head reads exactly the 16 tokens of its row's blocks
        let p = LycheeParams::from_kv(
            &crate::policies::KeyValues::parse("lychee", "budget=16,block=8,sink=0,recent=0")
                .unwrap(),
        )
        .unwrap();
        let mut prof = CoverageProfiler::new(p, 2, 2, 0.5);
        prof.begin_step(CTX);
        // layer 0, both heads: keys that match the query sit in blocks 1 and 2 (positions 8..24)
        let early: Vec<usize> = (8..24).collect();
        ask(&mut prof, 0, 0, &queries(0), &keys(0, &early, 5.0));
        ask(&mut prof, 0, 1, &queries(0), &keys(0, &early, 5.0));
        // layer 1 head 0 attends to position 50 (block 6), far from layer 0's picks
        ask(&mut prof, 1, 0, &queries(1), &keys(1, &[50], 10.0));
        // layer 1 head 1 attends to position 10, inside them
        ask(&mut prof, 1, 1, &queries(1), &keys(1, &[10], 10.0));
        prof.end_step();
        let pr = prof.profile();
        assert_eq!(pr.samples, 1);
        pr.validate(2, 2).unwrap();
        assert!(pr.get(0, 0, 1) < 1e-6, "{}", pr.get(0, 0, 1));
        assert!(pr.get(0, 1, 1) > 1.0 - 1e-6, "its own picks hold block 6");
        assert!(pr.get(1, 0, 1) > 1.0 - 1e-6);
        // layer 0 through its own picks: the 16 matching keys share almost all the mass
        assert!(pr.get(0, 0, 0) > 0.99);
        let c = choose_heads(&pr, 1);
        assert_eq!((c.picks[0].layer, c.picks[0].kv_head), (1, 0));
        assert!(c.map.retrieval[0].iter().all(|&r| r));
    }

    #[test]
    fn profiles_merge_by_steps_and_refuse_other_shapes() {
        let mut a = CoverageProfile::empty(2, 1);
        a.samples = 1;
        a.coverage[0][0][1] = 0.2;
        let mut b = CoverageProfile::empty(2, 1);
        b.samples = 3;
        b.coverage[0][0][1] = 0.6;
        a.merge(&b).unwrap();
        assert_eq!(a.samples, 4);
        assert!((a.get(0, 0, 1) - 0.5).abs() < 1e-12);
        assert!(a.merge(&CoverageProfile::empty(3, 1)).is_err());
        assert!(a.validate(2, 1).is_ok());
        let e = a.validate(30, 3).unwrap_err().to_string();
        assert!(e.contains("30 x 3"), "{e}");
        assert!(
            CoverageProfile::empty(2, 1).validate(2, 1).is_err(),
            "no steps"
        );
    }
}
