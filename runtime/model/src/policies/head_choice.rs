//! Choosing LycheeDecode's retrieval heads from a [`CoverageProfile`], without the model.
//!
//! Under a head map, a sparse head (l, h) reads through the picks of the latest retrieval layer s < l of
//! index h (layer 0 always being one), so its expected coverage is `profile.get(h, s, l)`; a retrieval
//! head reads everything (coverage 1). The map's *missed mass* is Σ over sparse heads of (1 − coverage).
//!
//! The choice is greedy on that sum: starting from layer 0 alone, add the head whose promotion lowers
//! the missed mass most, until the count is reached. Promoting (l, h) removes its own deficit and also
//! changes the row that the sparse heads of index h below it read, which a pure "lowest coverage first"
//! rule would ignore. Ties go to the lower layer, then the lower head.

use super::coverage::CoverageProfile;
use super::HeadMap;
use crate::error::{ModelError, Result};
use serde::{Deserialize, Serialize};

/// One greedy step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    pub layer: usize,
    pub kv_head: usize,
    /// The head's own coverage as a sparse head just before it was promoted.
    pub coverage_before: f64,
    /// The map's missed mass after the promotion.
    pub missed_after: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HeadChoice {
    pub map: HeadMap,
    /// In the order chosen.
    pub picks: Vec<Pick>,
}

/// A retrieval fraction must lie in [0, 1].
pub fn check_fraction(fraction: f64) -> Result<()> {
    if (0.0..=1.0).contains(&fraction) {
        return Ok(());
    }
    Err(ModelError::Config(format!(
        "retrieval fraction {fraction} outside [0, 1] (the share of all (layer, KV head) pairs made retrieval heads beyond layer 0; LycheeDecode uses about 0.09)"
    )))
}

/// How many retrieval heads beyond layer 0 a `fraction` of all (layer, KV head) pairs is: LycheeDecode
/// counts ≈ 9% of all KV heads plus layer 0. Capped at the heads outside layer 0.
pub fn retrieval_count(fraction: f64, n_layer: usize, n_kv_head: usize) -> Result<usize> {
    check_fraction(fraction)?;
    let n = (fraction * (n_layer * n_kv_head) as f64).round() as usize;
    Ok(n.min(n_layer.saturating_sub(1) * n_kv_head))
}

/// The map with only layer 0 retrieval.
pub fn layer0_only(n_layer: usize, n_kv_head: usize) -> HeadMap {
    let retrieval = (0..n_layer).map(|l| vec![l == 0; n_kv_head]).collect();
    HeadMap { retrieval }
}

impl CoverageProfile {
    /// `[layer][kv_head]`: each head's expected coverage under `map` (1 for retrieval heads and layer 0).
    pub fn coverage_under(&self, map: &HeadMap) -> Vec<Vec<f64>> {
        let mut latest = vec![0usize; self.n_kv_head];
        let mut out = vec![vec![1.0; self.n_kv_head]; self.n_layer];
        for (l, row) in out.iter_mut().enumerate().skip(1) {
            for (h, c) in row.iter_mut().enumerate() {
                if is_retrieval(map, l, h) {
                    latest[h] = l;
                } else {
                    *c = self.get(h, latest[h], l);
                }
            }
        }
        out
    }

    /// Σ over sparse heads of (1 − coverage) under `map`.
    pub fn missed(&self, map: &HeadMap) -> f64 {
        self.coverage_under(map)
            .iter()
            .flatten()
            .map(|c| 1.0 - c)
            .sum()
    }
}

fn is_retrieval(map: &HeadMap, l: usize, h: usize) -> bool {
    l == 0
        || map
            .retrieval
            .get(l)
            .and_then(|r| r.get(h))
            .copied()
            .unwrap_or(false)
}

/// Greedily promotes `count` heads (see the module comment); layer 0 is always retrieval.
pub fn choose_heads(profile: &CoverageProfile, count: usize) -> HeadChoice {
    let (n_layer, n_kv) = (profile.n_layer, profile.n_kv_head);
    let mut map = layer0_only(n_layer, n_kv);
    let mut picks = Vec::new();
    for _ in 0..count {
        let before = profile.coverage_under(&map);
        let mut best: Option<(f64, usize, usize)> = None;
        for l in 1..n_layer {
            for h in 0..n_kv {
                if map.retrieval[l][h] {
                    continue;
                }
                map.retrieval[l][h] = true;
                let m = profile.missed(&map);
                map.retrieval[l][h] = false;
                if best.map_or(true, |(b, _, _)| m < b) {
                    best = Some((m, l, h));
                }
            }
        }
        let Some((missed_after, layer, kv_head)) = best else {
            break;
        };
        map.retrieval[layer][kv_head] = true;
        picks.push(Pick {
            layer,
            kv_head,
            coverage_before: before[layer][kv_head],
            missed_after,
        });
    }
    HeadChoice { map, picks }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4-layer, 2-head profile where every head is read perfectly through any source, except as set.
    fn profile() -> CoverageProfile {
        let mut p = CoverageProfile::empty(4, 2);
        p.samples = 1;
        p.coverage
            .iter_mut()
            .flatten()
            .flatten()
            .for_each(|c| *c = 1.0);
        p
    }

    #[test]
    fn the_worst_covered_head_is_promoted_first() {
        let mut p = profile();
        // (2, 1) keeps little of its attention whatever picks it reads
        for s in 0..=2 {
            p.coverage[1][s][2] = 0.2;
        }
        p.coverage[0][0][3] = 0.9;
        let c = choose_heads(&p, 1);
        assert_eq!((c.picks[0].layer, c.picks[0].kv_head), (2, 1));
        assert!((c.picks[0].coverage_before - 0.2).abs() < 1e-12);
        assert!((c.picks[0].missed_after - 0.1).abs() < 1e-12);
        assert_eq!(c.map.n_retrieval(), 2 + 1);
        assert!(c.map.retrieval[0].iter().all(|&r| r), "layer 0 dense");
    }

    #[test]
    fn a_head_whose_picks_serve_the_heads_below_it_wins() {
        let mut p = profile();
        // index 0: layer 0's picks miss about half of layers 1-3, and layer 1's picks would serve 2 and 3;
        // layer 1 is the best covered of them (0.6), so "lowest coverage first" would take (3, 1)
        p.coverage[0][0][1] = 0.6;
        p.coverage[0][0][2] = 0.55;
        p.coverage[0][0][3] = 0.55;
        // index 1: one head at 0.5, helped by nobody
        p.coverage[1][0][3] = 0.5;
        p.coverage[1][1][3] = 0.5;
        p.coverage[1][2][3] = 0.5;
        let c = choose_heads(&p, 1);
        // promoting (1, 0) saves 0.4 + 0.45 + 0.45; (3, 1) saves only 0.5
        assert_eq!((c.picks[0].layer, c.picks[0].kv_head), (1, 0));
        let c = choose_heads(&p, 2);
        assert_eq!((c.picks[1].layer, c.picks[1].kv_head), (3, 1));
        assert!(c.picks[1].missed_after.abs() < 1e-12);
    }

    #[test]
    fn coverage_under_follows_the_latest_retrieval_layer() {
        let mut p = profile();
        p.coverage[0][0][3] = 0.3;
        p.coverage[0][2][3] = 0.8;
        let mut m = layer0_only(4, 2);
        assert!((p.coverage_under(&m)[3][0] - 0.3).abs() < 1e-12);
        m.retrieval[2][0] = true;
        let c = p.coverage_under(&m);
        assert!((c[3][0] - 0.8).abs() < 1e-12);
        assert_eq!(c[2][0], 1.0);
        assert!((p.missed(&m) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn counts_from_fractions() {
        // SmolLM2: 30 layers x 3 KV heads; LycheeDecode's 9% is 8 heads beyond layer 0
        assert_eq!(retrieval_count(0.09, 30, 3).unwrap(), 8);
        assert_eq!(retrieval_count(0.0, 30, 3).unwrap(), 0);
        assert_eq!(retrieval_count(1.0, 30, 3).unwrap(), 87);
        for bad in [-0.1, 1.5, f64::NAN] {
            let e = retrieval_count(bad, 30, 3).unwrap_err().to_string();
            assert!(e.contains("[0, 1]"), "{e}");
        }
        // asking for every head promotes every head, and no more
        let c = choose_heads(&profile(), 100);
        assert_eq!(c.picks.len(), 6);
        assert_eq!(c.map.n_retrieval(), 8);
    }
}
