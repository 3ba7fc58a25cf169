//! TidalDecode on the GPU, with sdec-model's `tidal` semantics (runtime/model/src/policies/tidal.rs).
//!
//! Layers before the first selection layer attend densely. A selection layer attends densely,
//! then `token_score` (block_score family, score block 1) writes every token's group-mean logit
//! `q̄ · k` per KV head and `topk` keeps the `budget` best, in ascending position order: that is
//! the token list of every later layer until the next selection layer, each one
//! `gather_attention` launch with every head sparse. While the context is within the budget the
//! picks are every token, so the whole step is dense (as the reference's `Selection::Dense`).

use cudarc::driver::CudaSlice;
use sdec_kernels::attention::{GatherAttention, GatherShape};
use sdec_kernels::block_score::BlockScoreShape;
use sdec_kernels::topk::TopkShape;
use sdec_model::policies::TidalParams;
use sdec_model::ModelConfig;

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, DecodeKernel, GatherKernel};
use crate::launch::block_score::BlockScoreKernel;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::zeros;
use crate::tuned::Tuned;

pub struct TidalGpu {
    budget: u32,
    is_selection: Vec<bool>,
    first: usize,
    kv_heads: usize,
    scoring: BlockScoreKernel,
    /// [batch*kv_heads][context] token scores of the last selection layer.
    scores: CudaSlice<f32>,
    topk: TopkKernel,
    topk_scratch: TopkScratch,
    /// [batch*kv_heads][budget] picked positions (ascending): the sparse layers' token lists.
    picks: CudaSlice<i32>,
    pick_values: CudaSlice<f32>,
    gather: GatherKernel,
}

impl TidalGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &TidalParams, batch: usize, capacity: usize) -> Result<Self> {
        let layers = p.selection_layers(cfg.n_layer);
        if let Some(&bad) = layers.iter().find(|&&l| l >= cfg.n_layer) {
            return Err(SdecError::Invalid(format!("tidal: selection layer {bad} is past the model's {} layers", cfg.n_layer)));
        }
        let mut is_selection = vec![false; cfg.n_layer];
        layers.iter().for_each(|&l| is_selection[l] = true);
        let (kvh, cap) = (cfg.n_kv_head as u32, capacity as u32);
        let rows = batch as u32 * kvh;
        // Past the capacity every token is picked: the loop never gathers.
        let budget = (p.budget as u32).min(cap);
        let score_shape = BlockScoreShape { batch: batch as u32, kv_heads: kvh, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32, context: cap, capacity: cap, score_block: 1 };
        let topk_shape = TopkShape { rows, n: cap, k: budget };
        let topk = tuned.topk_kernel(gpu, topk_shape.clone())?;
        let gather_shape = GatherShape {
            batch: batch as u32, kv_heads: kvh, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32, context: cap, capacity: cap,
            gather_block: 1, entries: budget, dense: vec![false; kvh as usize], emit_scores: false, score_block: 64, runs: false,
        };
        let gather = GatherKernel::new(gpu, tuned.config_for::<GatherAttention>(gpu, &gather_shape)?, gather_shape)?;
        Ok(TidalGpu {
            budget,
            first: layers[0],
            is_selection,
            kv_heads: cfg.n_kv_head,
            scoring: tuned.block_score_kernel(gpu, score_shape)?,
            scores: zeros(gpu, (rows * cap) as usize, "tidal token scores")?,
            topk_scratch: TopkScratch::new(gpu, &topk_shape, &topk.config)?,
            topk,
            picks: zeros(gpu, (rows * budget) as usize, "tidal picks")?,
            pick_values: zeros(gpu, (rows * budget) as usize, "tidal pick scores")?,
            gather,
        })
    }

    /// Whether layer `layer` reads the picks (rather than the whole context) at context `ctx`.
    fn gathers(&self, layer: usize, ctx: u32) -> bool {
        ctx > self.budget && layer > self.first && !self.is_selection[layer]
    }

    /// Layer `layer`'s attention at context `ctx` (the current token included); `dense` is the
    /// decoder's full-attention kernel.
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, ctx: u32, inputs: &AttentionInputs, out: &mut CudaSlice<u16>, dense: &mut DecodeKernel, unused_scores: &mut CudaSlice<f32>) -> Result<()> {
        if self.gathers(layer, ctx) {
            return self.gather.launch_at(gpu, inputs, &self.picks.slice(..), ctx, out, None);
        }
        dense.launch_at(gpu, inputs, ctx, out, unused_scores)?;
        if self.is_selection[layer] && ctx > self.budget {
            self.scoring.launch_at(gpu, inputs.q, inputs.k, ctx, &mut self.scores)?;
            self.topk.launch_at(gpu, ctx, self.budget, &self.scores, &mut self.picks, &mut self.pick_values, &mut self.topk_scratch)?;
        }
        Ok(())
    }

    /// KV entries (K and V rows) a step reads per sequence at context `ctx`; a selection layer's
    /// scoring pass reads K once more (half an entry per token).
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let c = ctx as u32;
        let per_head: u64 = (0..self.is_selection.len())
            .map(|l| {
                let read = if self.gathers(l, c) { self.budget as u64 } else { ctx as u64 };
                let scoring = if self.is_selection[l] && c > self.budget { ctx as u64 / 2 } else { 0 };
                read + scoring
            })
            .sum();
        per_head * self.kv_heads as u64
    }
}
