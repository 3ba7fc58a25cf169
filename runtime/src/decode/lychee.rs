//! LycheeDecode on the GPU, with sdec-model's `lychee` semantics (runtime/model/src/policies/lychee.rs).
//!
//! Per layer: one `gather_attention` launch serves the layer's retrieval heads densely — writing
//! their block scores in the same pass over K — and the sparse heads over their token lists;
//! then `topk` picks each retrieval head's blocks and `lychee_update` stores them as its index
//! row for the layers below, expanded into that row's token list. Layer 0 is all retrieval and
//! runs `decode_attention` with fused scores, so its update writes every row's list at each step.

use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{CudaEvent, CudaSlice, CudaStream, PushKernelArg};
use sdec_kernels::attention::{AttentionShape, GatherAttention, GatherAttentionConfig, GatherShape};
use sdec_kernels::lychee::{LycheeIndex, LycheeIndexShape};
use sdec_kernels::topk::TopkShape;
use sdec_kernels::KernelFamily;
use sdec_model::policies::{HeadMap, LycheeParams};
use sdec_model::ModelConfig;

use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};
use crate::launch::attention::{AttentionInputs, DecodeKernel, GatherKernel};
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::{launch_config, spec, upload, validate, zeros};
use crate::tuned::Tuned;

pub struct LycheeGpu {
    map: HeadMap,
    index_shape: LycheeIndexShape,
    /// Per layer: 1 where the KV head is retrieval.
    retrieval: Vec<CudaSlice<i32>>,
    index: CudaSlice<i32>,
    picks: CudaSlice<i32>,
    pick_values: CudaSlice<f32>,
    tokens: CudaSlice<i32>,
    scores: CudaSlice<f32>,
    dense_scoring: DecodeKernel,
    /// Gather plans by (retrieval mask, planned context).
    gathers: HashMap<(Vec<bool>, u32), GatherKernel>,
    gather_base: GatherShape,
    /// The tuned gather configuration per layer retrieval mask (looked up at the full capacity).
    gather_configs: HashMap<Vec<bool>, GatherAttentionConfig>,
    topk: TopkKernel,
    topk_scratch: TopkScratch,
    index_kernels: Kernels,
    index_specs: Vec<sdec_kernels::LaunchSpec>,
    /// A retrieval layer's top-k and index update run on `side`, beside the layer's o projection
    /// and FFN (which do not need them); the next layer's attention waits for `index_ready`.
    side: Arc<CudaStream>,
    scores_ready: CudaEvent,
    index_ready: CudaEvent,
    side_pending: bool,
    /// False only while `sdec bench decode --omit select` times the step without the selection.
    pub selects: bool,
}

impl LycheeGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &LycheeParams, batch: usize, capacity: usize) -> Result<Self> {
        if p.correct > 0 {
            return Err(SdecError::Invalid("lychee: `correct=N` (periodic dense steps) is not served by the GPU decode loop yet; use correct=0".into()));
        }
        let block = p.block as u32;
        if !block.is_power_of_two() || !(16..=256).contains(&block) {
            return Err(SdecError::Invalid(format!("lychee on the GPU: block {block} must be a power of two in 16..=256 (it is the kernels' score block)")));
        }
        let map = match &p.heads {
            Some(path) => HeadMap::load(cfg, path).map_err(|e| SdecError::Invalid(e.to_string()))?,
            None => HeadMap::default_for(cfg),
        };
        let (kvh, group, hd, cap) = (cfg.n_kv_head as u32, cfg.group_size() as u32, cfg.head_dim as u32, capacity as u32);
        let rows = batch as u32 * kvh;
        let index_shape = LycheeIndexShape { rows, kv_heads: kvh, k: p.blocks() as u32, block, sink: p.effective_sink() as u32, recent: p.effective_recent() as u32 };
        let blocks_cap = cap.div_ceil(block);
        let retrieval = (0..cfg.n_layer)
            .map(|l| {
                let mask: Vec<i32> = (0..cfg.n_kv_head).map(|h| (l == 0 || map.retrieval[l][h]) as i32).collect();
                upload(gpu, &mask, "lychee retrieval mask")
            })
            .collect::<Result<Vec<_>>>()?;
        let scoring_shape = AttentionShape { batch: batch as u32, kv_heads: kvh, group, head_dim: hd, context: cap, capacity: cap, emit_scores: true, score_block: block };
        let gather_base = GatherShape {
            batch: batch as u32, kv_heads: kvh, group, head_dim: hd, context: cap, capacity: cap, gather_block: 1,
            entries: index_shape.entries(), dense: vec![true; kvh as usize], emit_scores: true, score_block: block, runs: true,
        };
        let mut gather_configs = HashMap::new();
        for layer in 1..cfg.n_layer {
            let mask = map.retrieval[layer].clone();
            if !mask.iter().all(|&r| r) && !gather_configs.contains_key(&mask) {
                let shape = GatherShape { dense: mask.clone(), emit_scores: mask.iter().any(|&r| r), ..gather_base.clone() };
                gather_configs.insert(mask, tuned.config_for::<GatherAttention>(gpu, &shape)?);
            }
        }
        let k_max = index_shape.k.min(blocks_cap);
        let topk_shape = TopkShape { rows, n: blocks_cap, k: k_max };
        let topk = tuned.topk_kernel(gpu, topk_shape.clone())?;
        let index_config = LycheeIndex::default_config(&index_shape, &gpu.limits())?;
        validate::<LycheeIndex>(gpu, &index_config, &index_shape)?;
        Ok(LycheeGpu {
            retrieval,
            index: upload(gpu, &vec![-1i32; (rows * index_shape.k) as usize], "lychee index")?,
            picks: zeros(gpu, (rows * k_max) as usize, "lychee picks")?,
            pick_values: zeros(gpu, (rows * k_max) as usize, "lychee pick scores")?,
            tokens: zeros(gpu, (rows * index_shape.entries()) as usize, "lychee token lists")?,
            scores: zeros(gpu, (rows * blocks_cap) as usize, "lychee block scores")?,
            dense_scoring: tuned.decode_kernel(gpu, scoring_shape)?,
            gathers: HashMap::new(),
            gather_base,
            gather_configs,
            topk_scratch: TopkScratch::new(gpu, &topk_shape, &topk.config)?,
            topk,
            index_kernels: gpu.module::<LycheeIndex>(&index_config, &index_shape)?,
            index_specs: LycheeIndex::launches(&index_config, &index_shape, &gpu.limits()),
            index_shape,
            map,
            side: gpu.stream.fork().during("creating LycheeDecode's side stream")?,
            scores_ready: new_event(gpu)?,
            index_ready: new_event(gpu)?,
            side_pending: false,
            selects: true,
        })
    }

    fn is_retrieval(&self, layer: usize, kv_head: usize) -> bool {
        layer == 0 || self.map.retrieval[layer][kv_head]
    }

    /// KV entries the step reads per sequence at context `ctx` (the retrieval heads the whole
    /// context; a sparse head at most its list).
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let list = (self.index_shape.entries() as usize).min(ctx) as u64;
        let mut total = 0;
        for (l, heads) in self.map.retrieval.iter().enumerate() {
            for h in 0..heads.len() {
                total += if self.is_retrieval(l, h) { ctx as u64 } else { list };
            }
        }
        total
    }

    /// Layer `layer`'s attention at context `ctx` (the current token included).
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, ctx: u32, inputs: &AttentionInputs, out: &mut CudaSlice<u16>) -> Result<()> {
        // The lists this layer reads, and the scores it overwrites, belong to the side stream
        // until the last update is done.
        self.join(gpu)?;
        let kvh = self.index_shape.kv_heads as usize;
        let mask: Vec<bool> = (0..kvh).map(|h| self.is_retrieval(layer, h)).collect();
        if mask.iter().all(|&r| r) {
            self.dense_scoring.launch_at(gpu, inputs, ctx, out, &mut self.scores)?;
        } else {
            // The token lists were written by the updates of the layers above (layer 0, all
            // retrieval, rewrites every row at each step).
            let key = self.plan_gather(gpu, &mask, ctx)?;
            let gather = self.gathers.get_mut(&key).ok_or_else(|| SdecError::Invalid("gather plan cache".into()))?;
            let scores = gather.shape.emit_scores.then_some(&mut self.scores);
            gather.launch_at(gpu, inputs, &self.tokens.slice(..), ctx, out, scores)?;
        }
        if self.selects && mask.iter().any(|&r| r) {
            self.store_picks(gpu, layer, ctx)?;
        }
        Ok(())
    }

    /// Makes the gather plans every layer needs at context `ctx` (before a graph capture, which
    /// cannot upload them).
    pub fn prepare(&mut self, gpu: &Gpu, n_layer: usize, ctx: u32) -> Result<()> {
        let kvh = self.index_shape.kv_heads as usize;
        for layer in 0..n_layer {
            let mask: Vec<bool> = (0..kvh).map(|h| self.is_retrieval(layer, h)).collect();
            if !mask.iter().all(|&r| r) {
                self.plan_gather(gpu, &mask, ctx)?;
            }
        }
        Ok(())
    }

    /// The key of the gather plan for a layer's retrieval mask at context `ctx`, made if new.
    /// Dense heads are planned up to the context rounded up to a split, so one plan serves
    /// `split_tokens` consecutive steps.
    fn plan_gather(&mut self, gpu: &Gpu, mask: &[bool], ctx: u32) -> Result<(Vec<bool>, u32)> {
        let tuned = *self.gather_configs.get(mask).ok_or_else(|| SdecError::Invalid("lychee: no gather configuration for this layer's heads".into()))?;
        let split = tuned.split_tokens;
        let planned = (ctx.div_ceil(split) * split).min(self.gather_base.capacity);
        let key = (mask.to_vec(), planned);
        if !self.gathers.contains_key(&key) {
            let shape = GatherShape { context: planned, dense: mask.to_vec(), emit_scores: mask.iter().any(|&r| r), ..self.gather_base.clone() };
            let config = if validate::<GatherAttention>(gpu, &tuned, &shape).is_ok() {
                tuned
            } else {
                GatherAttention::default_config(&shape, &gpu.limits())?
            };
            // Plans for shorter contexts of this mask are done with (contexts only grow); their
            // buffers are freed in stream order, after any launch still using them.
            self.gathers.retain(|(m, p), _| m.as_slice() != mask || *p > planned);
            self.gathers.insert(key.clone(), GatherKernel::new(gpu, config, shape)?);
        }
        Ok(key)
    }

    /// Makes the main stream wait for the side stream's last top-k and update (every step ends
    /// with it: a graph capture must join its side streams).
    pub fn join(&mut self, gpu: &Gpu) -> Result<()> {
        if self.side_pending {
            gpu.stream.wait(&self.index_ready).during("waiting for LycheeDecode's index update")?;
            self.side_pending = false;
        }
        Ok(())
    }

    /// Top-k blocks of the retrieval heads' scores, stored as their index rows (on the side
    /// stream, after the attention that wrote the scores).
    fn store_picks(&mut self, gpu: &Gpu, layer: usize, ctx: u32) -> Result<()> {
        let n = ctx.div_ceil(self.index_shape.block);
        let k_valid = self.index_shape.k.min(n);
        self.scores_ready.record(&gpu.stream).during("recording LycheeDecode's scores")?;
        self.side.wait(&self.scores_ready).during("ordering LycheeDecode's top-k after its scores")?;
        let side = self.side.clone();
        // Scores are laid out [rows][n] at this context (the kernels' row stride is n).
        self.topk.launch_on(&side, n, k_valid, &self.scores, &mut self.picks, &mut self.pick_values, &mut self.topk_scratch)?;
        let s = &self.index_shape;
        let (kvh, k, kv) = (s.kv_heads as i32, s.k as i32, k_valid as i32);
        let (block, sink, recent, context) = (s.block as i32, s.sink as i32, s.recent as i32, ctx as i32);
        let f = self.index_kernels.function("lychee_update")?;
        unsafe {
            side.launch_builder(&f).arg(&self.picks).arg(&self.retrieval[layer]).arg(&mut self.index).arg(&mut self.tokens)
                .arg(&kvh).arg(&k).arg(&kv).arg(&block).arg(&sink).arg(&recent).arg(&context)
                .launch(launch_config(spec(&self.index_specs, "lychee_update")?))
        }
        .during("lychee index update")?;
        self.index_ready.record(&side).during("recording LycheeDecode's index update")?;
        self.side_pending = true;
        Ok(())
    }
}


fn new_event(gpu: &Gpu) -> Result<CudaEvent> {
    gpu.ctx.new_event(Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DISABLE_TIMING)).during("creating an event")
}
