//! LFPS on the GPU, with sdec-model's `lfps` semantics (runtime/model/src/policies/lfps.rs).
//!
//! Per (layer, KV head) the last step's picks are kept on the GPU. A sparse layer scores its
//! candidates — each pick widened to [p − w, p + 1 + w] and the current token (`lfps` family), or
//! on a refresh step (every `refresh` steps, and after a step with no picks) every token
//! (`token_score`) — then `topk` keeps the `budget` best as the new picks, in ascending order,
//! and `gather_attention` reads them. The first `dense_layers` layers, and every layer while the
//! context is within the budget, attend densely. The reference's recall statistic (which needs
//! the exact top-k every step) is not computed here.

use cudarc::driver::CudaSlice;
use sdec_kernels::attention::{GatherAttention, GatherShape};
use sdec_kernels::block_score::BlockScoreShape;
use sdec_kernels::lfps::{Lfps, LfpsShape};
use sdec_kernels::topk::TopkShape;
use sdec_kernels::KernelFamily;
use sdec_model::policies::LfpsParams;
use sdec_model::ModelConfig;

use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, DecodeKernel, GatherKernel};
use crate::launch::block_score::BlockScoreKernel;
use crate::launch::lfps::LfpsKernels;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::zeros;
use crate::tuned::Tuned;

pub struct LfpsGpu {
    p: LfpsParams,
    /// Picks per row: the budget, at most the capacity.
    k: u32,
    kv_heads: usize,
    n_layer: usize,
    refresh_scoring: BlockScoreKernel,
    candidates: LfpsKernels,
    /// [batch*kv_heads][context] this layer's scores.
    scores: CudaSlice<f32>,
    topk: TopkKernel,
    topk_scratch: TopkScratch,
    pick_values: CudaSlice<f32>,
    /// Per layer, [batch*kv_heads][k] the last step's picks (ascending): this step's lists once
    /// updated.
    picks: Vec<CudaSlice<i32>>,
    /// Per layer: whether `picks` holds the last step's picks (false after a dense step).
    has_picks: Vec<bool>,
    /// Policy steps done (the reference's `step`).
    step: usize,
    gather: GatherKernel,
}

impl LfpsGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &LfpsParams, batch: usize, capacity: usize) -> Result<Self> {
        let (kvh, group, hd, cap) = (cfg.n_kv_head as u32, cfg.group_size() as u32, cfg.head_dim as u32, capacity as u32);
        let rows = batch as u32 * kvh;
        let k = (p.budget as u32).min(cap);
        let score_shape = BlockScoreShape { batch: batch as u32, kv_heads: kvh, group, head_dim: hd, context: cap, capacity: cap, score_block: 1 };
        let lfps_shape = LfpsShape { batch: batch as u32, kv_heads: kvh, group, head_dim: hd, capacity: cap, k };
        let topk_shape = TopkShape { rows, n: cap, k };
        let topk = tuned.topk_kernel(gpu, topk_shape.clone())?;
        let gather_shape = GatherShape {
            batch: batch as u32, kv_heads: kvh, group, head_dim: hd, context: cap, capacity: cap,
            gather_block: 1, entries: k, dense: vec![false; kvh as usize], emit_scores: false, score_block: 64, runs: false,
        };
        let gather = GatherKernel::new(gpu, tuned.config_for::<GatherAttention>(gpu, &gather_shape)?, gather_shape)?;
        let picks = (0..cfg.n_layer).map(|_| zeros(gpu, (rows * k) as usize, "lfps picks")).collect::<Result<Vec<_>>>()?;
        Ok(LfpsGpu {
            p: p.clone(),
            k,
            kv_heads: cfg.n_kv_head,
            n_layer: cfg.n_layer,
            refresh_scoring: tuned.block_score_kernel(gpu, score_shape)?,
            candidates: LfpsKernels::new(gpu, Lfps::default_config(&lfps_shape, &gpu.limits())?, lfps_shape)?,
            scores: zeros(gpu, (rows * cap) as usize, "lfps scores")?,
            topk_scratch: TopkScratch::new(gpu, &topk_shape, &topk.config)?,
            topk,
            pick_values: zeros(gpu, (rows * k) as usize, "lfps pick scores")?,
            picks,
            has_picks: vec![false; cfg.n_layer],
            step: 0,
            gather,
        })
    }

    /// Layer `layer`'s attention at context `ctx` (the current token included); `dense` is the
    /// decoder's full-attention kernel.
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, ctx: u32, inputs: &AttentionInputs, out: &mut CudaSlice<u16>, dense: &mut DecodeKernel, unused_scores: &mut CudaSlice<f32>) -> Result<()> {
        if layer < self.p.dense_layers || ctx <= self.k {
            // Within the budget the reference keeps every position as the picks: the next
            // step's candidates are then the whole context, which is what a refresh scores.
            self.has_picks[layer] = false;
            return dense.launch_at(gpu, inputs, ctx, out, unused_scores);
        }
        let refresh = self.step % self.p.refresh.max(1) == 0 || !self.has_picks[layer];
        if refresh {
            self.refresh_scoring.launch_at(gpu, inputs.q, inputs.k, ctx, &mut self.scores)?;
        } else {
            self.candidates.candidate_scores(gpu, inputs.q, inputs.k, &self.picks[layer], self.p.w as u32, ctx, &mut self.scores)?;
        }
        self.topk.launch_at(gpu, ctx, self.k, &self.scores, &mut self.picks[layer], &mut self.pick_values, &mut self.topk_scratch)?;
        self.has_picks[layer] = true;
        self.gather.launch_at(gpu, inputs, &self.picks[layer].slice(..), ctx, out, None)
    }

    /// After each policy step (the reference's `end_step`).
    pub fn end_step(&mut self) {
        self.step += 1;
    }

    /// KV entries (K and V rows) a step reads per sequence at context `ctx`, averaged over a
    /// refresh period; scoring reads K alone (half an entry a token).
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let k = self.k as usize;
        let dense = self.p.dense_layers.min(self.n_layer);
        let sparse = self.n_layer - dense;
        if ctx <= k {
            return (self.n_layer * self.kv_heads * ctx) as u64;
        }
        let r = self.p.refresh.max(1);
        let widened = (k * (2 * self.p.w + 2)).min(ctx);
        let scoring = (ctx + (r - 1) * widened) / (2 * r);
        ((dense * ctx + sparse * (k + scoring)) * self.kv_heads) as u64
    }
}
