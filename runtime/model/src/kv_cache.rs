//! Per-layer key/value cache, `[n_kv_head, capacity, head_dim]` row-major each; keys stored after RoPE.

use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::ops::round_bf16;
use ndarray::ArrayView2;

#[derive(Clone, Debug)]
pub struct KvCache {
    /// Per layer, `n_kv_head * capacity * head_dim` floats.
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    len: usize,
    capacity: usize,
    n_kv_head: usize,
    head_dim: usize,
    /// Round keys and values to bf16 as they are stored (what a bf16 GPU cache holds).
    bf16_storage: bool,
}

impl KvCache {
    /// Room for `capacity` positions (at most the model's `max_context`).
    pub fn new(cfg: &ModelConfig, capacity: usize) -> Result<Self> {
        if capacity > cfg.max_context {
            return Err(ModelError::ContextTooLong {
                need: capacity,
                max: cfg.max_context,
            });
        }
        let n = cfg.n_kv_head * capacity * cfg.head_dim;
        Ok(Self {
            k: (0..cfg.n_layer).map(|_| vec![0f32; n]).collect(),
            v: (0..cfg.n_layer).map(|_| vec![0f32; n]).collect(),
            len: 0,
            capacity,
            n_kv_head: cfg.n_kv_head,
            head_dim: cfg.head_dim,
            bf16_storage: false,
        })
    }

    /// Stores keys and values rounded to bf16 from now on, as a bf16 GPU cache does, so the
    /// reference and the GPU attend over the same cache (the GPU check uses this).
    pub fn with_bf16_storage(mut self) -> Self {
        self.bf16_storage = true;
        self
    }

    /// Positions holding valid entries.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Grows the capacity to at least `capacity` positions, keeping the entries.
    pub fn reserve(&mut self, capacity: usize) {
        if capacity <= self.capacity {
            return;
        }
        let (hd, n_kv) = (self.head_dim, self.n_kv_head);
        let regrow = |old: &Vec<f32>| {
            let mut new = vec![0f32; n_kv * capacity * hd];
            for h in 0..n_kv {
                let src = &old[h * self.capacity * hd..(h * self.capacity + self.len) * hd];
                new[h * capacity * hd..(h * capacity + self.len) * hd].copy_from_slice(src);
            }
            new
        };
        self.k = self.k.iter().map(regrow).collect();
        self.v = self.v.iter().map(regrow).collect();
        self.capacity = capacity;
    }

    /// Forget positions `len..` (speculative decoding rolls back rejected drafts this way).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Fails unless `n` more positions fit.
    pub(crate) fn check_room(&self, n: usize) -> Result<()> {
        if self.len + n > self.capacity {
            return Err(ModelError::CacheFull {
                need: self.len + n,
                capacity: self.capacity,
            });
        }
        Ok(())
    }

    fn offset(&self, kv_head: usize, pos: usize) -> usize {
        (kv_head * self.capacity + pos) * self.head_dim
    }

    /// Writes one position's keys and values (`[n_kv_head * head_dim]` each) of a layer. The position may be
    /// at or beyond `len`: a forward pass writes its rows first and commits them with [`Self::commit`].
    pub(crate) fn write(&mut self, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
        let hd = self.head_dim;
        for h in 0..k.len() / hd {
            let o = self.offset(h, pos);
            self.k[layer][o..o + hd].copy_from_slice(&k[h * hd..(h + 1) * hd]);
            self.v[layer][o..o + hd].copy_from_slice(&v[h * hd..(h + 1) * hd]);
            if self.bf16_storage {
                for x in self.k[layer][o..o + hd].iter_mut().chain(self.v[layer][o..o + hd].iter_mut()) {
                    *x = round_bf16(*x);
                }
            }
        }
    }

    pub(crate) fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(self.capacity);
    }

    /// Keys of positions `0..n` as `n * head_dim` floats (n may include uncommitted rows of this pass).
    pub fn key_slice(&self, layer: usize, kv_head: usize, n: usize) -> &[f32] {
        let o = self.offset(kv_head, 0);
        &self.k[layer][o..o + n * self.head_dim]
    }

    pub fn value_slice(&self, layer: usize, kv_head: usize, n: usize) -> &[f32] {
        let o = self.offset(kv_head, 0);
        &self.v[layer][o..o + n * self.head_dim]
    }

    /// Keys `[n, head_dim]` of positions `0..n`.
    pub fn keys(&self, layer: usize, kv_head: usize, n: usize) -> ArrayView2<'_, f32> {
        let s = self.key_slice(layer, kv_head, n);
        ArrayView2::from_shape((n, self.head_dim), s)
            .unwrap_or_else(|_| ArrayView2::from_shape((0, 0), &[]).expect("empty view"))
    }

    pub fn values(&self, layer: usize, kv_head: usize, n: usize) -> ArrayView2<'_, f32> {
        let s = self.value_slice(layer, kv_head, n);
        ArrayView2::from_shape((n, self.head_dim), s)
            .unwrap_or_else(|_| ArrayView2::from_shape((0, 0), &[]).expect("empty view"))
    }
}

#[cfg(test)]
mod tests {
    use super::round_bf16;

    #[test]
    fn bf16_rounding_is_to_nearest_even() {
        assert_eq!(round_bf16(1.0), 1.0);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even (1.0).
        assert_eq!(round_bf16(1.0 + 1.0 / 256.0), 1.0);
        assert_eq!(round_bf16(1.0 + 3.0 / 256.0), 1.0 + 4.0 / 256.0);
        assert_eq!(round_bf16(-2.5e-3).to_bits() & 0xffff, 0);
        assert!(round_bf16(f32::NAN).is_nan());
    }
}
