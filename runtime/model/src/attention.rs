//! Softmax attention of one query vector over a set of cached positions of one KV head.
//!
//! Dense attention is the same loop over `0..n`; a selection covering every position in ascending order
//! therefore reproduces dense attention bit for bit.

use crate::ops::dot_fast;

/// Which cached positions a KV head reads at one decode step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every position `0..ctx_len`.
    Dense,
    /// Strictly ascending positions, each `< ctx_len`.
    Positions(Vec<usize>),
}

impl Selection {
    /// Positions read at context length `ctx_len`.
    pub fn count(&self, ctx_len: usize) -> usize {
        match self {
            Selection::Dense => ctx_len,
            Selection::Positions(p) => p.len(),
        }
    }

    /// A list of positions, collapsed to `Dense` when it covers the whole context (same arithmetic).
    pub fn from_sorted(p: Vec<usize>, ctx_len: usize) -> Self {
        if p.len() == ctx_len {
            Selection::Dense
        } else {
            Selection::Positions(p)
        }
    }

    /// Sorts and deduplicates, drops positions `>= ctx_len`.
    pub fn from_unsorted(mut p: Vec<usize>, ctx_len: usize) -> Self {
        p.retain(|&x| x < ctx_len);
        p.sort_unstable();
        p.dedup();
        Self::from_sorted(p, ctx_len)
    }

    /// True when ascending, unique and in range (the forward pass refuses anything else).
    pub fn is_valid(&self, ctx_len: usize) -> bool {
        match self {
            Selection::Dense => true,
            Selection::Positions(p) => {
                p.windows(2).all(|w| w[0] < w[1]) && p.iter().all(|&l| l < ctx_len)
            }
        }
    }
}

/// `out = Σ_p softmax(scale · q·k_p) v_p` over `positions`; `keys`/`values` are `[n, head_dim]` rows,
/// flattened. When `probs` is given, the softmax weight of position p is added to `probs[p]`.
/// Scores, maximum, exponentials, their sum and the weighted sum are all taken in position order.
pub fn attend<I>(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    positions: I,
    scale: f32,
    probs: Option<&mut [f32]>,
) -> Vec<f32>
where
    I: Iterator<Item = usize> + Clone,
{
    let hd = q.len();
    let scores: Vec<f32> = positions
        .clone()
        .map(|p| dot_fast(q, &keys[p * hd..(p + 1) * hd]) * scale)
        .collect();
    let mut out = vec![0f32; hd];
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if scores.is_empty() || !max.is_finite() {
        return out;
    }
    let weights: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = weights.iter().sum();
    for (p, w) in positions.clone().zip(&weights) {
        for (o, v) in out.iter_mut().zip(&values[p * hd..(p + 1) * hd]) {
            *o += w * v;
        }
    }
    let inv = 1.0 / sum;
    for o in out.iter_mut() {
        *o *= inv;
    }
    if let Some(pr) = probs {
        for (p, w) in positions.zip(&weights) {
            pr[p] += w * inv;
        }
    }
    out
}

/// [`attend`] over a [`Selection`] at context length `ctx_len`.
pub fn attend_selection(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    sel: &Selection,
    ctx_len: usize,
    scale: f32,
) -> Vec<f32> {
    match sel {
        Selection::Dense => attend(q, keys, values, 0..ctx_len, scale, None),
        Selection::Positions(p) => attend(q, keys, values, p.iter().copied(), scale, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_selection_equals_dense_bitwise() {
        let hd = 8;
        let n = 37;
        let k: Vec<f32> = (0..n * hd)
            .map(|i| ((i * 13) % 17) as f32 * 0.3 - 2.0)
            .collect();
        let v: Vec<f32> = (0..n * hd)
            .map(|i| ((i * 7) % 11) as f32 * 0.2 - 1.0)
            .collect();
        let q: Vec<f32> = (0..hd).map(|i| i as f32 * 0.1 - 0.3).collect();
        let a = attend_selection(&q, &k, &v, &Selection::Dense, n, 0.35);
        let b = attend(
            &q,
            &k,
            &v,
            (0..n).collect::<Vec<_>>().into_iter(),
            0.35,
            None,
        );
        assert_eq!(a, b);
        // a one-position selection returns that value row
        let c = attend_selection(&q, &k, &v, &Selection::Positions(vec![5]), n, 0.35);
        assert_eq!(c, v[5 * hd..6 * hd].to_vec());
    }

    #[test]
    fn selection_validation() {
        assert!(Selection::Positions(vec![0, 2, 3]).is_valid(4));
        assert!(!Selection::Positions(vec![0, 2, 2]).is_valid(4));
        assert!(!Selection::Positions(vec![0, 4]).is_valid(4));
        assert_eq!(
            Selection::from_unsorted(vec![3, 1, 0, 2, 2, 9], 4),
            Selection::Dense
        );
    }
}
