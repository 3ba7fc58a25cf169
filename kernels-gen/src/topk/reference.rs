//! Reference top-k: sort by value (descending; ties by index ascending), keep k, sort by index.

/// The order-preserving u32 key the kernel sorts by (`float_key` in common.cuh): larger floats
/// get larger keys, -0.0 sorts just below +0.0, NaNs with the sign bit clear sort above +inf.
pub fn float_key(x: f32) -> u32 {
    let u = x.to_bits();
    if u & 0x8000_0000 != 0 {
        !u
    } else {
        u | 0x8000_0000
    }
}

/// Top-k indices of one row, ascending. The (key descending, index ascending) order is total,
/// so a linear-time selection of the first k is exact.
pub fn topk_row(row: &[f32], k: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..row.len() as u32).collect();
    let rank = |&i: &u32| (std::cmp::Reverse(float_key(row[i as usize])), i);
    if k < order.len() {
        order.select_nth_unstable_by_key(k, rank);
    }
    order.truncate(k);
    order.sort_unstable();
    order
}

/// Top-k of every row of a row-major [rows][n] matrix: (indices, values), each [rows][k].
pub fn topk_rows(scores: &[f32], n: usize, k: usize) -> (Vec<u32>, Vec<f32>) {
    use rayon::prelude::*;
    let per_row: Vec<Vec<u32>> = scores.par_chunks(n).map(|row| topk_row(row, k)).collect();
    let values = per_row
        .iter()
        .zip(scores.chunks(n))
        .flat_map(|(idx, row)| idx.iter().map(|&i| row[i as usize]).collect::<Vec<_>>())
        .collect();
    (per_row.into_iter().flatten().collect(), values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_go_to_the_smaller_index() {
        let row = [1.0, 3.0, 2.0, 3.0, 3.0, 0.5];
        assert_eq!(topk_row(&row, 2), vec![1, 3]);
        assert_eq!(topk_row(&row, 4), vec![1, 2, 3, 4]);
    }

    #[test]
    fn key_orders_like_floats() {
        let xs = [f32::NEG_INFINITY, -3.5, -1e-30, -0.0, 0.0, 1e-30, 2.0, f32::INFINITY];
        for w in xs.windows(2) {
            assert!(float_key(w[0]) < float_key(w[1]), "{} vs {}", w[0], w[1]);
        }
    }

    proptest! {
        #[test]
        fn selects_exactly_the_k_largest(row in proptest::collection::vec(-4i32..4, 1..200), k_frac in 0.0f64..1.0) {
            let row: Vec<f32> = row.into_iter().map(|v| v as f32 * 0.5).collect();
            let k = 1 + ((row.len() - 1) as f64 * k_frac) as usize;
            let picked = topk_row(&row, k);
            prop_assert_eq!(picked.len(), k);
            prop_assert!(picked.windows(2).all(|w| w[0] < w[1]));
            let worst_in = picked.iter().map(|&i| row[i as usize]).fold(f32::INFINITY, f32::min);
            for (i, &v) in row.iter().enumerate() {
                if !picked.contains(&(i as u32)) {
                    prop_assert!(v <= worst_in);
                    // An equal value left out must come after every chosen equal one.
                    if v == worst_in {
                        prop_assert!(picked.iter().filter(|&&j| row[j as usize] == v).all(|&j| (j as usize) < i));
                    }
                }
            }
        }
    }
}
