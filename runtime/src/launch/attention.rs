//! Launchers of `decode_attention` and `gather_attention` (kernels-gen/src/attention,
//! cuda/attention.cu): `attend` writes per-split partials, `combine` merges them.

use std::collections::HashMap;

use cudarc::driver::sys::CUdeviceptr;
use cudarc::driver::{CudaSlice, CudaStream, CudaView, CudaViewMut, DevicePtr, DevicePtrMut, SyncOnDrop};
use sdec_kernels::attention::{plan_gather, AttentionShape, Cut, ChunkAttention, ChunkAttentionConfig, ChunkShape, DecodeAttention, DecodeAttentionConfig, GatherAttention, GatherAttentionConfig, GatherShape};
use sdec_kernels::family::Shape;
use sdec_kernels::{logit_codes, KernelFamily};

use super::linear::RawArgs;
use super::tensor_map::{kv_rows_map, TensorMapWords, UNUSED_MAP};
use super::{allow_dynamic_smem, launch_config, spec, upload, validate, zeros};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

/// Device inputs shared by both families.
pub struct AttentionInputs<'a> {
    pub q: &'a CudaSlice<u16>,
    pub k: &'a CudaSlice<u16>,
    pub v: &'a CudaSlice<u16>,
    pub scale: f32,
}

/// Partials of the split-KV pass.
struct Partials {
    o: CudaSlice<f32>,
    lse: CudaSlice<f32>,
}

impl Partials {
    fn new(gpu: &Gpu, work: usize, group: u32, head_dim: u32) -> Result<Self> {
        Ok(Partials {
            o: zeros(gpu, work * (group * head_dim) as usize, "attention partial outputs")?,
            lse: zeros(gpu, work * group as usize, "attention partial log-sum-exp")?,
        })
    }
}

/// Device pointers of what both families' `attend` takes first — q, K, V and the partials — with
/// the guards that keep the stream's bookkeeping until the launches are enqueued.
fn attend_ptrs<'a>(s: &'a CudaStream, inputs: &'a AttentionInputs, partials: &'a mut Partials) -> ([CUdeviceptr; 5], [SyncOnDrop<'a>; 5]) {
    let (q, gq) = inputs.q.device_ptr(s);
    let (k, gk) = inputs.k.device_ptr(s);
    let (v, gv) = inputs.v.device_ptr(s);
    let (o, go) = partials.o.device_ptr_mut(s);
    let (l, gl) = partials.lse.device_ptr_mut(s);
    ([q, k, v, o, l], [gq, gk, gv, go, gl])
}

pub struct DecodeKernel {
    pub shape: AttentionShape,
    pub config: DecodeAttentionConfig,
    kernels: Kernels,
    partials: Partials,
    unused: CudaSlice<i32>,
    /// `mma` = 3: the K and V maps of each cache pair launched on so far, as in [`GatherKernel`].
    maps: HashMap<(CUdeviceptr, CUdeviceptr), [TensorMapWords; 2]>,
}

impl DecodeKernel {
    /// Partials are sized for the whole capacity, so one kernel serves every context up to it.
    pub fn new(gpu: &Gpu, config: DecodeAttentionConfig, shape: AttentionShape) -> Result<Self> {
        validate::<DecodeAttention>(gpu, &config, &shape)?;
        let kernels = gpu.module::<DecodeAttention>(&config, &shape)?;
        allow_dynamic_smem(&kernels, &DecodeAttention::launches(&config, &shape, &gpu.limits()), "attend")?;
        let most = AttentionShape { context: shape.capacity, ..shape.clone() };
        let work = (shape.batch * shape.kv_heads * most.splits(config.split_tokens)) as usize;
        let partials = Partials::new(gpu, work, shape.group, shape.head_dim)?;
        Ok(DecodeKernel { unused: zeros(gpu, 4, "placeholder")?, shape, config, kernels, partials, maps: HashMap::new() })
    }

    /// out [batch][kv_heads*group][head_dim] bf16; `block_scores` [batch*kv_heads][n_blocks] is
    /// written when the shape emits scores.
    pub fn launch(&mut self, gpu: &Gpu, inputs: &AttentionInputs, out: &mut CudaSlice<u16>, block_scores: &mut CudaSlice<f32>) -> Result<()> {
        self.launch_at(gpu, inputs, self.shape.context, out, block_scores)
    }

    /// [`DecodeKernel::launch`] over the first `context` tokens (at most the capacity): the
    /// decode loop's context grows by one token a step.
    pub fn launch_at(&mut self, gpu: &Gpu, inputs: &AttentionInputs, context: u32, out: &mut CudaSlice<u16>, block_scores: &mut CudaSlice<f32>) -> Result<()> {
        let shape = AttentionShape { context, ..self.shape.clone() };
        shape.validate()?;
        let specs = DecodeAttention::launches(&self.config, &shape, &gpu.limits());
        let splits = shape.splits(self.config.split_tokens) as i32;
        let (context, capacity, zero) = (context as i32, shape.capacity as i32, 0i32);
        let s = &gpu.stream;
        // Both launches are programmatic dependents (each kernel waits for its predecessor before
        // touching memory): their launch overlaps the previous kernel's tail.
        let (ptrs, _guards) = attend_ptrs(s, inputs, &mut self.partials);
        let [q, k, v, o_part, lse_part] = ptrs;
        let (scores, _s) = block_scores.device_ptr_mut(s);
        let (unused, _u) = self.unused.device_ptr(s);
        let (out, _out) = out.device_ptr_mut(s);
        let sh = &self.shape;
        let [k_map, v_map] = tensor_maps(self.config.mma, sh.batch * sh.kv_heads, sh.capacity, sh.head_dim, &mut self.maps, k, v)?;
        let f = self.kernels.function("attend")?;
        RawArgs::default().ptr(q).ptr(k).ptr(v).ptr(o_part).ptr(lse_part).ptr(scores).ptr(unused).ptr(unused)
            .i32(context).i32(capacity).i32(zero).i32(splits).f32(inputs.scale).tensor_map(&k_map).tensor_map(&v_map)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "attend")?))
            .during("decode attention")?;
        let f = self.kernels.function("combine")?;
        RawArgs::default().ptr(o_part).ptr(lse_part).ptr(unused).ptr(out).i32(splits)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "combine")?))
            .during("decode attention combine")?;
        Ok(())
    }
}

pub struct GatherKernel {
    pub shape: GatherShape,
    pub config: GatherAttentionConfig,
    kernels: Kernels,
    partials: Partials,
    work: CudaSlice<i32>,
    offsets: CudaSlice<i32>,
    unused_scores: CudaSlice<f32>,
    /// `mma` = 3: the K and V maps of each cache pair launched on so far (a decode loop has one
    /// pair a layer), by the caches' device pointers.
    maps: HashMap<(CUdeviceptr, CUdeviceptr), [TensorMapWords; 2]>,
}

impl GatherKernel {
    pub fn new(gpu: &Gpu, config: GatherAttentionConfig, shape: GatherShape) -> Result<Self> {
        validate::<GatherAttention>(gpu, &config, &shape)?;
        let kernels = gpu.module::<GatherAttention>(&config, &shape)?;
        allow_dynamic_smem(&kernels, &GatherAttention::launches(&config, &shape, &gpu.limits()), "attend")?;
        let plan = plan_gather(&shape, Cut::of(config.split_tokens, config.fill, &gpu.limits()));
        let flat: Vec<i32> = plan.items.iter().flat_map(|w| [w.head, w.begin, w.end, w.dense]).collect();
        let partials = Partials::new(gpu, plan.items.len(), shape.group, shape.head_dim)?;
        Ok(GatherKernel {
            work: upload(gpu, &flat, "gather work plan")?,
            offsets: upload(gpu, &plan.offsets, "gather work offsets")?,
            unused_scores: zeros(gpu, 4, "placeholder")?,
            maps: HashMap::new(),
            shape,
            config,
            kernels,
            partials,
        })
    }

    /// `entries` [batch*kv_heads][shape.entries] token or block ids (negative: padding).
    pub fn launch(&mut self, gpu: &Gpu, inputs: &AttentionInputs, entries: &CudaSlice<i32>, out: &mut CudaSlice<u16>) -> Result<()> {
        self.launch_at(gpu, inputs, &entries.slice(..), self.shape.context, out, None)
    }

    /// [`GatherKernel::launch`] at a `context` up to the planned one (dense heads stop there; a
    /// plan made for a rounded-up context serves many decode steps), writing the dense heads'
    /// block scores [batch*kv_heads][ceil(context/score_block)] when the shape emits them.
    pub fn launch_at(
        &mut self, gpu: &Gpu, inputs: &AttentionInputs, entries: &CudaView<'_, i32>, context: u32, out: &mut CudaSlice<u16>,
        block_scores: Option<&mut CudaSlice<f32>>,
    ) -> Result<()> {
        if context == 0 || context > self.shape.context {
            return Err(SdecError::Invalid(format!("gather attention at context {context}: planned for 1..={}", self.shape.context)));
        }
        let specs = GatherAttention::launches(&self.config, &self.shape, &gpu.limits());
        let (context, capacity, max_entries, zero) = (context as i32, self.shape.capacity as i32, self.shape.entries as i32, 0i32);
        let scores = match block_scores {
            Some(scores) => scores,
            None if self.shape.emit_scores => return Err(SdecError::Invalid("this gather attention emits block scores: pass a buffer".into())),
            None => &mut self.unused_scores,
        };
        let s = &gpu.stream;
        // Programmatic dependents, as in DecodeKernel::launch_at.
        let (ptrs, _guards) = attend_ptrs(s, inputs, &mut self.partials);
        let [q, k, v, o_part, lse_part] = ptrs;
        let (scores, _s) = scores.device_ptr_mut(s);
        let (work, _w) = self.work.device_ptr(s);
        let (entries, _e) = entries.device_ptr(s);
        let (offsets, _f) = self.offsets.device_ptr(s);
        let (out, _out) = out.device_ptr_mut(s);
        let sh = &self.shape;
        let [k_map, v_map] = tensor_maps(self.config.mma, sh.batch * sh.kv_heads, sh.capacity, sh.head_dim, &mut self.maps, k, v)?;
        let f = self.kernels.function("attend")?;
        RawArgs::default().ptr(q).ptr(k).ptr(v).ptr(o_part).ptr(lse_part).ptr(scores).ptr(work).ptr(entries)
            .i32(context).i32(capacity).i32(max_entries).i32(zero).f32(inputs.scale).tensor_map(&k_map).tensor_map(&v_map)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "attend")?))
            .during("gather attention")?;
        let f = self.kernels.function("combine")?;
        RawArgs::default().ptr(o_part).ptr(lse_part).ptr(offsets).ptr(out).i32(zero)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "combine")?))
            .during("gather attention combine")?;
        Ok(())
    }
}

/// The TMA maps of the K and V caches at `k` and `v` ([heads][capacity][head_dim] each, heads =
/// batch × KV heads) for an attention kernel with `mma` = 3 (`chunk_attention`: `tma` = 1; unused
/// maps otherwise), encoded once per cache pair.
fn tensor_maps(
    mma: u32, heads: u32, capacity: u32, head_dim: u32, maps: &mut HashMap<(CUdeviceptr, CUdeviceptr), [TensorMapWords; 2]>, k: CUdeviceptr,
    v: CUdeviceptr,
) -> Result<[TensorMapWords; 2]> {
    if mma != 3 {
        return Ok([UNUSED_MAP, UNUSED_MAP]);
    }
    if let Some(pair) = maps.get(&(k, v)) {
        return Ok(*pair);
    }
    let rows = heads as u64 * capacity as u64;
    let pair = [kv_rows_map(k, rows, head_dim)?, kv_rows_map(v, rows, head_dim)?];
    maps.insert((k, v), pair);
    Ok(pair)
}

/// `chunk_attention`: causal attention of `qrows` consecutive queries per sequence.
pub struct ChunkKernel {
    pub shape: ChunkShape,
    pub config: ChunkAttentionConfig,
    kernels: Kernels,
    partials: Partials,
    /// `tma` = 1: the K and V maps of each cache pair launched on so far, as in [`GatherKernel`].
    maps: HashMap<(CUdeviceptr, CUdeviceptr), [TensorMapWords; 2]>,
}

impl ChunkKernel {
    /// Partials are sized for the whole capacity, so one kernel serves every context up to it.
    pub fn new(gpu: &Gpu, config: ChunkAttentionConfig, shape: ChunkShape) -> Result<Self> {
        validate::<ChunkAttention>(gpu, &config, &shape)?;
        let kernels = gpu.module::<ChunkAttention>(&config, &shape)?;
        allow_dynamic_smem(&kernels, &ChunkAttention::launches(&config, &shape, &gpu.limits()), "chunk_attend")?;
        let most = ChunkShape { context: shape.capacity, ..shape.clone() };
        let parts = (shape.batch * shape.kv_heads * most.splits(config.split_tokens) * config.token_warps) as usize;
        let partials = Partials::new(gpu, parts, shape.m_tiles() * 16, shape.head_dim)?;
        Ok(ChunkKernel { shape, config, kernels, partials, maps: HashMap::new() })
    }

    /// q and out [batch][qrows][kv_heads*group][head_dim] bf16 (the chunk's K and V already in
    /// the cache, `context` counting them); `lse_out` [batch][qrows][kv_heads*group] gets each
    /// row's log2-sum-exp of scale·q·k. A shape with `logits` writes them to `logits` in 8 bits
    /// (sdec_kernels::logit_codes: `batch · kv_heads` sets of `group · qrows` rows over `capacity`
    /// tokens, the first `context` of each row written).
    pub fn launch_at(
        &mut self, gpu: &Gpu, inputs: &AttentionInputs, context: u32, out: &mut CudaSlice<u16>, lse_out: &mut CudaViewMut<'_, f32>,
        logits: Option<&mut CudaViewMut<'_, u8>>,
    ) -> Result<()> {
        let shape = ChunkShape { context, ..self.shape.clone() };
        shape.validate()?;
        let logits_len = logit_codes::bytes((shape.batch * shape.kv_heads) as usize, shape.rows() as usize, shape.capacity as usize);
        let mut logits = match (shape.logits, logits) {
            (true, Some(l)) if l.len() >= logits_len => Some(l),
            (true, Some(l)) => return Err(SdecError::Invalid(format!("chunk attention logit codes: {} bytes, the launch writes {logits_len}", l.len()))),
            (true, None) => return Err(SdecError::Invalid("this chunk attention writes logits: pass a buffer".into())),
            (false, _) => None,
        };
        let specs = ChunkAttention::launches(&self.config, &shape, &gpu.limits());
        let splits = shape.splits(self.config.split_tokens) as i32;
        let (kv_heads, context, capacity) = (shape.kv_heads as i32, context as i32, shape.capacity as i32);
        let s = &gpu.stream;
        // Both launches are programmatic dependents, as the step's attention: the chunk attention
        // launches while the q|k|v product drains, the merge while the attention does.
        let (ptrs, _guards) = attend_ptrs(s, inputs, &mut self.partials);
        let [q, k, v, o_part, lse_part] = ptrs;
        let (logits_ptr, _l) = match logits.as_mut() {
            Some(l) => {
                let (p, g) = l.device_ptr_mut(s);
                (p, Some(g))
            }
            None => (0, None),  // the kernel never touches it
        };
        let (out, _out) = out.device_ptr_mut(s);
        let (lse_out, _lse) = lse_out.device_ptr_mut(s);
        let sh = &self.shape;
        let [k_map, v_map] = tensor_maps(3 * self.config.tma, sh.batch * sh.kv_heads, sh.capacity, sh.head_dim, &mut self.maps, k, v)?;
        let f = self.kernels.function("chunk_attend")?;
        RawArgs::default().ptr(q).ptr(k).ptr(v).ptr(o_part).ptr(lse_part).i32(kv_heads).i32(context).i32(capacity).i32(splits)
            .f32(inputs.scale).ptr(logits_ptr).tensor_map(&k_map).tensor_map(&v_map)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "chunk_attend")?))
            .during("chunk attention")?;
        let f = self.kernels.function("chunk_combine")?;
        RawArgs::default().ptr(o_part).ptr(lse_part).ptr(out).ptr(lse_out).i32(kv_heads).i32(splits)
            .launch_dependent(gpu, &f, &launch_config(spec(&specs, "chunk_combine")?))
            .during("chunk attention combine")?;
        Ok(())
    }
}
