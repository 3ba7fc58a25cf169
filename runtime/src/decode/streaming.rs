//! StreamingLLM on the GPU, with sdec-model's `streaming` semantics: every head of every layer
//! attends to the first `sink` tokens and the last `recent` (the current one included). The lists
//! are the same for all layers, so one `lychee_tokens` launch (an index of no blocks) writes them
//! at layer 0, and each layer is one `gather_attention` launch with every head sparse.

use cudarc::driver::{CudaSlice, PushKernelArg};
use sdec_kernels::attention::{GatherAttention, GatherShape};
use sdec_kernels::lychee::{LycheeIndex, LycheeIndexShape};
use sdec_kernels::KernelFamily;
use sdec_model::policies::StreamingParams;
use sdec_model::ModelConfig;

use crate::error::{CudaContextExt, Result};
use crate::gpu::{Gpu, Kernels};
use crate::launch::attention::{AttentionInputs, GatherKernel};
use crate::launch::{launch_config, spec, validate, zeros};
use crate::tuned::Tuned;

pub struct StreamingGpu {
    shape: LycheeIndexShape,
    n_layer: usize,
    /// [batch][kv_heads][sink + recent] token ids (−1: a repeat or before the start).
    tokens: CudaSlice<i32>,
    unused_index: CudaSlice<i32>,
    gather: GatherKernel,
    kernels: Kernels,
    specs: Vec<sdec_kernels::LaunchSpec>,
}

impl StreamingGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &StreamingParams, batch: usize, capacity: usize) -> Result<Self> {
        let kvh = cfg.n_kv_head as u32;
        let shape = LycheeIndexShape { rows: batch as u32 * kvh, kv_heads: kvh, k: 0, block: 64, sink: p.sink as u32, recent: p.recent as u32 };
        let config = LycheeIndex::default_config(&shape, &gpu.limits())?;
        validate::<LycheeIndex>(gpu, &config, &shape)?;
        let gather_shape = GatherShape {
            batch: batch as u32, kv_heads: kvh, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32, context: capacity as u32,
            capacity: capacity as u32, gather_block: 1, entries: shape.entries(), dense: vec![false; kvh as usize], emit_scores: false, score_block: 64, runs: false,
        };
        let gather = GatherKernel::new(gpu, tuned.config_for::<GatherAttention>(gpu, &gather_shape)?, gather_shape)?;
        Ok(StreamingGpu {
            tokens: zeros(gpu, (shape.rows * shape.entries()) as usize, "streaming token lists")?,
            unused_index: zeros(gpu, 1, "placeholder")?,
            n_layer: cfg.n_layer,
            gather,
            kernels: gpu.module::<LycheeIndex>(&config, &shape)?,
            specs: LycheeIndex::launches(&config, &shape, &gpu.limits()),
            shape,
        })
    }

    /// Layer `layer`'s attention at context `ctx` (the lists are written at layer 0).
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, ctx: u32, inputs: &AttentionInputs, out: &mut CudaSlice<u16>) -> Result<()> {
        if layer == 0 {
            let s = &self.shape;
            let (k, block, sink, recent, context) = (0i32, s.block as i32, s.sink as i32, s.recent as i32, ctx as i32);
            let f = self.kernels.function("lychee_tokens")?;
            unsafe {
                gpu.stream.launch_builder(&f).arg(&self.unused_index).arg(&mut self.tokens).arg(&k).arg(&block).arg(&sink).arg(&recent).arg(&context)
                    .launch(launch_config(spec(&self.specs, "lychee_tokens")?))
            }
            .during("streaming token lists")?;
        }
        self.gather.launch_at(gpu, inputs, &self.tokens.slice(..), ctx, out, None)
    }

    /// KV entries (K and V rows) a step reads per sequence at context `ctx`.
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let kept = ((self.shape.sink + self.shape.recent) as usize).min(ctx);
        (self.n_layer * self.shape.kv_heads as usize * kept) as u64
    }
}
