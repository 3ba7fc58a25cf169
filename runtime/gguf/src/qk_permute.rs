//! Undoing llama.cpp's row permutation of llama-arch Q/K projection weights.

use crate::error::{GgufError, Result};
use crate::tensor::Tensor;

/// Restores the Hugging Face row order of an `attn_q` / `attn_k` weight (or
/// bias) of a **llama**-architecture GGUF file.
///
/// # Why
/// Hugging Face llama checkpoints apply RoPE in "rotate-half" form: within a
/// head of `head_dim` rows, row `i` is rotated together with row
/// `i + head_dim/2`. llama.cpp's `LLAMA` rope instead rotates adjacent pairs
/// `(2i, 2i+1)` (the original Meta layout), so its HF-to-GGUF converter
/// permutes the rows of the Q and K projections to match. A model that uses
/// HF's rotate-half rope on these weights must undo that permutation first.
/// (Architectures whose llama.cpp rope is NEOX style, e.g. qwen3, are stored
/// unpermuted and must not be passed here.)
///
/// # What
/// `tensor` is in this crate's row-major layout (shape `[rows, cols]`, e.g.
/// `[n_head * head_dim, n_embd]`; a 1-D bias is one value per row). Rows are
/// grouped into `n_head` heads of `head_dim = rows / n_head` rows. The
/// converter's forward permutation views each head's rows as a
/// `[2, head_dim/2]` grid and transposes it to `[head_dim/2, 2]`, so
/// `gguf_row(h, 2*i + j) = hf_row(h, j*head_dim/2 + i)` for `j in {0, 1}`.
/// This function applies the inverse:
/// `hf_row(h, j*head_dim/2 + i) = gguf_row(h, 2*i + j)`.
///
/// Pass `n_head` = number of query heads for `attn_q` and number of KV heads
/// for `attn_k` (llama.cpp permutes K with the KV head count under GQA).
///
/// Errors if the tensor has no axes, `n_head` is 0, the rows do not split
/// into `n_head` heads, or `head_dim` is odd.
pub fn unpermute_qk_rows(tensor: &mut Tensor, n_head: usize) -> Result<()> {
    let rows = match tensor.shape.first() {
        Some(&r) => r,
        None => {
            return Err(GgufError::Shape {
                reason: "cannot unpermute a 0-dimensional tensor".into(),
            })
        }
    };
    let cols = tensor.cols();
    if n_head == 0 || rows % n_head != 0 || !(rows / n_head).is_multiple_of(2) {
        return Err(GgufError::Shape {
            reason: format!("{rows} rows do not split into {n_head} heads of even size"),
        });
    }
    if rows.checked_mul(cols) != Some(tensor.data.len()) {
        return Err(GgufError::Shape {
            reason: format!(
                "shape {:?} does not match {} values",
                tensor.shape,
                tensor.data.len()
            ),
        });
    }
    let head_dim = rows / n_head;
    let half = head_dim / 2;
    let src = tensor.data.clone();
    for h in 0..n_head {
        for i in 0..half {
            for j in 0..2 {
                let from = (h * head_dim + 2 * i + j) * cols;
                let to = (h * head_dim + j * half + i) * cols;
                tensor.data[to..to + cols].copy_from_slice(&src[from..from + cols]);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The converter's forward permutation, written from its definition:
    /// per head, rows reshaped `[2, head_dim/2]` then transposed.
    fn permute_forward(hf_rows: &[Vec<f32>], n_head: usize) -> Vec<Vec<f32>> {
        let head_dim = hf_rows.len() / n_head;
        let half = head_dim / 2;
        let mut out = Vec::new();
        for h in 0..n_head {
            let head = &hf_rows[h * head_dim..(h + 1) * head_dim];
            // grid[j][i] = head[j * half + i]; transposed: row order (i, j).
            for i in 0..half {
                for j in 0..2 {
                    out.push(head[j * half + i].clone());
                }
            }
        }
        out
    }

    #[test]
    fn inverts_the_converter_permutation() {
        for (n_head, head_dim, cols) in [(3, 8, 5), (1, 4, 1), (9, 64, 3)] {
            let rows = n_head * head_dim;
            let hf: Vec<Vec<f32>> = (0..rows)
                .map(|r| (0..cols).map(|c| (r * 1000 + c) as f32).collect())
                .collect();
            let gguf = permute_forward(&hf, n_head);
            assert_ne!(gguf, hf, "permutation should move rows");
            let mut t = Tensor {
                shape: vec![rows, cols],
                data: gguf.concat(),
            };
            unpermute_qk_rows(&mut t, n_head).unwrap();
            assert_eq!(t.data, hf.concat());
        }
    }

    #[test]
    fn one_head_example() {
        // head_dim 4: GGUF rows [a0, b0, a1, b1] hold HF rows [a0, a1, b0, b1].
        let mut t = Tensor {
            shape: vec![4],
            data: vec![10.0, 20.0, 11.0, 21.0],
        };
        unpermute_qk_rows(&mut t, 1).unwrap();
        assert_eq!(t.data, vec![10.0, 11.0, 20.0, 21.0]);
    }

    #[test]
    fn rejects_bad_shapes() {
        let mut t = Tensor {
            shape: vec![6, 2],
            data: vec![0.0; 12],
        };
        assert!(unpermute_qk_rows(&mut t, 4).is_err()); // 6 rows / 4 heads
        assert!(unpermute_qk_rows(&mut t, 2).is_err()); // head_dim 3 is odd
        assert!(unpermute_qk_rows(&mut t, 0).is_err());
        let mut bad = Tensor {
            shape: vec![4, 2],
            data: vec![0.0; 5],
        };
        assert!(unpermute_qk_rows(&mut bad, 1).is_err());
    }
}
