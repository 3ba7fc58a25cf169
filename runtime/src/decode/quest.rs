//! Quest on the GPU, with sdec-model's `quest` semantics (runtime/model/src/policies/quest.rs):
//! pages of `page` tokens carry the elementwise min and max of their keys, kept per layer beside
//! the KV cache and recomputed for the pages each pass appends to; from layer `dense_layers` on,
//! each KV head reads the `budget / page` pages whose bound for its query group is highest, plus
//! the page of the current token (one `gather_attention` launch with pages as blocks).

use cudarc::driver::CudaSlice;
use sdec_kernels::attention::{GatherAttention, GatherShape};
use sdec_kernels::quest::{Quest, QuestShape};
use sdec_kernels::topk::TopkShape;
use sdec_kernels::KernelFamily;
use sdec_model::policies::QuestParams;
use sdec_model::ModelConfig;

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, GatherKernel};
use crate::launch::quest::QuestKernels;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::zeros;
use crate::tuned::Tuned;

pub struct QuestGpu {
    pub dense_layers: usize,
    n_layer: usize,
    kv_heads: usize,
    /// Pages picked by the top-k (before the current page is added).
    k_max: u32,
    /// Per layer: [batch][kv_heads][pages][2][head_dim] bf16 key bounds.
    meta: Vec<CudaSlice<u16>>,
    scores: CudaSlice<f32>,
    picks: CudaSlice<i32>,
    pick_values: CudaSlice<f32>,
    lists: CudaSlice<i32>,
    kernels: QuestKernels,
    topk: TopkKernel,
    topk_scratch: TopkScratch,
    gather: GatherKernel,
}

impl QuestGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &QuestParams, batch: usize, capacity: usize) -> Result<Self> {
        let page = p.page as u32;
        if !page.is_power_of_two() || page > 256 {
            return Err(SdecError::Invalid(format!("quest on the GPU: page {page} must be a power of two up to 256 (pages are the gather kernel's blocks)")));
        }
        let (kvh, rows) = (cfg.n_kv_head as u32, batch as u32 * cfg.n_kv_head as u32);
        let pages_cap = (capacity as u32).div_ceil(page);
        let k_max = ((p.budget as u32 / page).max(1)).min(pages_cap);
        let shape = QuestShape {
            batch: batch as u32, kv_heads: kvh, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32, page, capacity: capacity as u32,
            rows: batch as u32, entries: k_max + 1,
        };
        let kernels = QuestKernels::new(gpu, Quest::default_config(&shape, &gpu.limits())?, shape)?;
        let topk_shape = TopkShape { rows, n: pages_cap, k: k_max };
        let topk = tuned.topk_kernel(gpu, topk_shape.clone())?;
        let gather_shape = GatherShape {
            batch: batch as u32, kv_heads: kvh, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32, context: capacity as u32,
            capacity: capacity as u32, gather_block: page, entries: k_max + 1, dense: vec![false; kvh as usize], emit_scores: false, score_block: 64, runs: false,
        };
        let gather = GatherKernel::new(gpu, tuned.config_for::<GatherAttention>(gpu, &gather_shape)?, gather_shape)?;
        let meta_len = (rows * pages_cap) as usize * 2 * cfg.head_dim;
        Ok(QuestGpu {
            dense_layers: p.dense_layers,
            n_layer: cfg.n_layer,
            kv_heads: kvh as usize,
            k_max,
            meta: (0..cfg.n_layer).map(|_| zeros(gpu, meta_len, "quest page bounds")).collect::<Result<_>>()?,
            scores: zeros(gpu, (rows * pages_cap) as usize, "quest page scores")?,
            picks: zeros(gpu, (rows * k_max) as usize, "quest picks")?,
            pick_values: zeros(gpu, (rows * k_max) as usize, "quest pick scores")?,
            lists: zeros(gpu, (rows * (k_max + 1)) as usize, "quest page lists")?,
            topk_scratch: TopkScratch::new(gpu, &topk_shape, &topk.config)?,
            kernels,
            topk,
            gather,
        })
    }

    /// After a pass appended `rows` rows (`rows_per_seq` per sequence, positions `pos`) to layer
    /// `layer`'s K, whose first `ctx` tokens are now valid: the bounds of their pages.
    #[allow(clippy::too_many_arguments)]
    pub fn update_pages(&mut self, gpu: &Gpu, layer: usize, k: &CudaSlice<u16>, pos: &CudaSlice<i32>, rows: usize, rows_per_seq: usize, ctx: u32) -> Result<()> {
        self.kernels.pages(gpu, k, &mut self.meta[layer], pos, rows as u32, rows_per_seq as u32, ctx)
    }

    /// Layer `layer`'s attention at context `ctx` (a layer at or past `dense_layers`).
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, ctx: u32, inputs: &AttentionInputs, out: &mut CudaSlice<u16>) -> Result<()> {
        let page = self.kernels.shape.page;
        let n_pages = ctx.div_ceil(page);
        let k = self.k_max.min(n_pages);
        self.kernels.score(gpu, inputs.q, &self.meta[layer], &mut self.scores, ctx)?;
        // Scores are laid out [rows][n_pages] at this context.
        self.topk.launch_at(gpu, n_pages, k, &self.scores, &mut self.picks, &mut self.pick_values, &mut self.topk_scratch)?;
        self.kernels.list(gpu, &self.picks.slice(..), &mut self.lists, k, n_pages)?;
        self.gather.launch_at(gpu, inputs, &self.lists.slice(..), ctx, out, None)
    }

    /// KV entries (K and V rows) a step reads per sequence at context `ctx`, at most.
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let page = self.kernels.shape.page as usize;
        let sparse = ((self.k_max as usize + 1) * page).min(ctx);
        let dense = self.dense_layers.min(self.n_layer);
        (self.kv_heads * (dense * ctx + (self.n_layer - dense) * sparse)) as u64
    }
}
