//! The KV cache on the GPU: per layer, K and V as `[batch][kv_heads][capacity][head_dim]` bf16,
//! the layout the attention families read.

use cudarc::driver::CudaSlice;
use sdec_model::ModelConfig;

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::zeros;

pub struct KvCache {
    pub k: Vec<CudaSlice<u16>>,
    pub v: Vec<CudaSlice<u16>>,
    pub capacity: usize,
}

/// Bytes of a cache of `capacity` tokens for `batch` sequences.
pub fn cache_bytes(cfg: &ModelConfig, batch: usize, capacity: usize) -> u64 {
    2 * 2 * (cfg.n_layer * batch * cfg.n_kv_head * capacity * cfg.head_dim) as u64
}

impl KvCache {
    /// Refuses, with the bytes needed and free, a cache the device cannot hold.
    pub fn new(gpu: &Gpu, cfg: &ModelConfig, batch: usize, capacity: usize) -> Result<Self> {
        let need = cache_bytes(cfg, batch, capacity);
        let free = gpu.free_memory()?;
        if need as usize > free {
            return Err(SdecError::OutOfMemory {
                what: format!("a KV cache of {capacity} tokens x batch {batch} ({} layers, {} KV heads of {})", cfg.n_layer, cfg.n_kv_head, cfg.head_dim),
                needed: need as usize,
                free,
            });
        }
        let per_layer = batch * cfg.n_kv_head * capacity * cfg.head_dim;
        let mut k = Vec::with_capacity(cfg.n_layer);
        let mut v = Vec::with_capacity(cfg.n_layer);
        for _ in 0..cfg.n_layer {
            k.push(zeros::<u16>(gpu, per_layer, "the K cache")?);
            v.push(zeros::<u16>(gpu, per_layer, "the V cache")?);
        }
        Ok(KvCache { k, v, capacity })
    }
}
