//! Exact top-k, the one selection rule every policy uses: larger score first, ties broken by the smaller
//! index; NaN counts as lower than every number.

use std::cmp::Ordering;

fn rank(scores: &[f32], a: usize, b: usize) -> Ordering {
    let (x, y) = (scores[a], scores[b]);
    let by_score = match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // -0.0 == 0.0 here on purpose: equal scores fall through to the index.
        (false, false) => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
    };
    by_score.then(a.cmp(&b))
}

/// Indices of the `k` best scores, best first.
pub fn top_k(scores: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    top_k_of(scores, &mut idx, k)
}

/// The `k` best among `candidates` (indices into `scores`), best first. Reorders `candidates`.
pub fn top_k_of(scores: &[f32], candidates: &mut [usize], k: usize) -> Vec<usize> {
    let k = k.min(candidates.len());
    if k == 0 {
        return Vec::new();
    }
    if k < candidates.len() {
        candidates.select_nth_unstable_by(k - 1, |&a, &b| rank(scores, a, b));
    }
    let mut best = candidates[..k].to_vec();
    best.sort_unstable_by(|&a, &b| rank(scores, a, b));
    best
}

/// Indices of the `k` best scores in ascending index order (the order attention reads them in).
pub fn top_k_sorted(scores: &[f32], k: usize) -> Vec<usize> {
    let mut t = top_k(scores, k);
    t.sort_unstable();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_smaller_index() {
        let s = [1.0, 3.0, 3.0, 2.0, 3.0, f32::NAN, -0.0, 0.0];
        assert_eq!(top_k(&s, 2), vec![1, 2]);
        assert_eq!(top_k(&s, 4), vec![1, 2, 4, 3]);
        assert_eq!(top_k_sorted(&s, 3), vec![1, 2, 4]);
        assert_eq!(top_k(&s, 8)[5..], [6, 7, 5]);
        assert!(top_k(&s, 0).is_empty());
        assert_eq!(top_k(&s, 100).len(), 8);
    }

    #[test]
    fn matches_a_full_sort() {
        let s: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 97) as f32).collect();
        let mut all: Vec<usize> = (0..s.len()).collect();
        all.sort_by(|&a, &b| rank(&s, a, b));
        for k in [1, 5, 97, 500, 1000] {
            assert_eq!(top_k(&s, k), all[..k].to_vec());
        }
    }
}
