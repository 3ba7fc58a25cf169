//! SpecAttn (Vegas) on the GPU, with sdec-model's `specattn` semantics (runtime/model/src/
//! generate.rs `speculative`, policies/specattn.rs).
//!
//! A round: γ draft steps, each a normal decode step whose attention reads, per layer, only the
//! positions the last verification selected plus the drafts' own (one `gather_attention` launch,
//! every head sparse); then one chunk pass over the γ + 1 tokens with full causal attention
//! verifies them (greedy: the longest matching prefix plus the bonus token), so the output is
//! exactly `full`'s. The verification's chunk attention keeps each layer's log-sum-exps and
//! writes its logits in 8 bits (sdec_kernels::logit_codes); from them `spec_score_logits`
//! scores every position (mean softmax probability over all query heads and rows 0 and j)
//! without reading K again, `topk` keeps
//! `spec_budget(seqlen)` positions per layer and `spec_tokens` writes them as the drafts' token
//! lists; each draft step first adds its own position (`spec_draft_begin`).
//!
//! Nothing of a round waits for the host: the acceptance is decided on the device
//! (`spec_accept`), which also stages the selection's inputs, and the selection does not depend
//! on j (it keeps the budget of the longest seqlen and `spec_tokens` drops what the accepted one
//! does not keep), so it is enqueued before the host reads j and the verified tokens, once a
//! round. A draft step reads its position and its lists on the device, so every draft step of
//! every round is the same CUDA graph, launched without a new capture (a capture before the
//! first draft left the GPU idle ~0.8 ms a round: docs/results/decode.md section 27).
//!
//! A batch advances in step: every sequence keeps the accepted length of the one that accepted
//! fewest (its drafts up to there matched the dense greedy tokens too, so every sequence still
//! gets exactly `full`'s tokens; the others re-draft what they gave up). Lists, scores and
//! captures are per (layer, sequence).

use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{sys, CudaEvent, CudaSlice, CudaStream, CudaViewMut, PinnedHostSlice};
use sdec_kernels::attention::{GatherAttention, GatherShape, MAX_QROWS};
use sdec_kernels::logit_codes;
use sdec_kernels::spec::{Spec, SpecShape};
use sdec_kernels::topk::TopkShape;
use sdec_kernels::KernelFamily;
use sdec_model::policies::{spec_budget, DraftMode, SpecAttnParams};
use sdec_model::ModelConfig;

use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, GatherKernel};
use crate::launch::spec::SpecKernels;
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::zeros;
use crate::tuned::Tuned;

pub struct SpecGpu {
    pub params: SpecAttnParams,
    n_layer: usize,
    kv_heads: usize,
    batch: usize,
    lse_stride: usize,
    /// Per layer: the verification's per-row log2-sum-exps.
    lse: CudaSlice<f32>,
    /// Per layer: the verification's logit codes (`batch · kv_heads` sets of the chunk's
    /// rows·group rows, sdec_kernels::logit_codes; `chunk_attention` writes them), which the
    /// selection reads instead of K.
    logits: CudaSlice<u8>,
    logits_stride: usize,
    capacity: usize,
    /// [n_layer][batch][capacity] selection scores (row stride: the selection's seqlen).
    scores: CudaSlice<f32>,
    picks: CudaSlice<i32>,
    pick_values: CudaSlice<f32>,
    /// {row 0's position, accepted row j} and the selection's seqlen, per sequence.
    rows: CudaSlice<i32>,
    sel_len: CudaSlice<i32>,
    /// `spec_accept`'s {j, verified tokens [batch][γ + 1]}: the one read of a round, copied
    /// into page-locked memory on a stream of its own, so that the selection goes on while it
    /// travels and the host waits for it alone.
    accept_result: CudaSlice<i32>,
    accept_host: PinnedHostSlice<i32>,
    copy_stream: Arc<CudaStream>,
    /// Recorded after `spec_accept` (the copy waits for it) and after the copy into
    /// `accept_host` (cudarc records the slice's own event only when it manages stream
    /// synchronization, which the runtime turns off).
    accepted: CudaEvent,
    accept_copied: CudaEvent,
    /// [n_layer][batch][kv_heads][entries] the drafts' token lists.
    lists: CudaSlice<i32>,
    entries: usize,
    /// Positions selected per layer by the last selection (0: none yet).
    selected: usize,
    /// Timing only: every acceptance keeps this row (see spec.cu `spec_accept`).
    pub forced_row: Option<usize>,
    sel_seqlen: usize,
    gather: GatherKernel,
    topk: TopkKernel,
    topk_scratch: TopkScratch,
    /// `spec` kernels by query rows of the captured chunk (1 after the prefill, γ + 1 after a
    /// verification).
    kernels: HashMap<u32, SpecKernels>,
    base_shape: SpecShape,
}

impl SpecGpu {
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, p: &SpecAttnParams, batch: usize, capacity: usize) -> Result<Self> {
        if p.draft == DraftMode::Streaming {
            return Err(SdecError::Invalid("specattn: `draft=streaming` is not served by the GPU decode loop yet; use draft=verify or --device cpu".into()));
        }
        if p.gamma + 1 > MAX_QROWS as usize {
            return Err(SdecError::Invalid(format!("specattn on the GPU: γ = {} needs verification chunks of {} > {MAX_QROWS} tokens", p.gamma, p.gamma + 1)));
        }
        let (n_layer, kvh, group, hd) = (cfg.n_layer, cfg.n_kv_head, cfg.group_size(), cfg.head_dim);
        let k_max = spec_budget(p, capacity);
        let entries = k_max + p.gamma.max(1);
        let lse_stride = batch * MAX_QROWS as usize * cfg.n_head;
        // The largest chunk a capture holds is the verification's γ + 1 rows (a multiple of 16
        // bytes, as the selection needs).
        let logits_stride = logit_codes::bytes(batch * kvh, (p.gamma + 1) * group, capacity);
        let gather_shape = GatherShape {
            batch: batch as u32, kv_heads: kvh as u32, group: group as u32, head_dim: hd as u32, context: capacity as u32, capacity: capacity as u32,
            gather_block: 1, entries: entries as u32, dense: vec![false; kvh], emit_scores: false, score_block: 64, runs: false,
        };
        let gather = GatherKernel::new(gpu, tuned.config_for::<GatherAttention>(gpu, &gather_shape)?, gather_shape)?;
        let topk_shape = TopkShape { rows: (n_layer * batch) as u32, n: capacity as u32, k: k_max as u32 };
        let topk = tuned.topk_kernel(gpu, topk_shape.clone())?;
        let base_shape = SpecShape {
            batch: batch as u32, kv_heads: kvh as u32, group: group as u32, head_dim: hd as u32, qrows: 1, capacity: capacity as u32,
            row_stride: capacity as u32, layers: n_layer as u32, entries: entries as u32, gamma: p.gamma.max(1) as u32,
        };
        let mut spec = SpecGpu {
            params: p.clone(),
            n_layer,
            kv_heads: kvh,
            batch,
            lse_stride,
            lse: zeros(gpu, n_layer * lse_stride, "specattn captured log-sum-exps")?,
            logits: zeros(gpu, n_layer * logits_stride, "specattn verify logit codes")?,
            logits_stride,
            capacity,
            scores: zeros(gpu, n_layer * batch * capacity, "specattn selection scores")?,
            picks: zeros(gpu, n_layer * batch * k_max, "specattn picks")?,
            pick_values: zeros(gpu, n_layer * batch * k_max, "specattn pick scores")?,
            rows: zeros(gpu, 2 * batch, "specattn verify rows")?,
            sel_len: zeros(gpu, batch, "specattn selection length")?,
            accept_result: zeros(gpu, 1 + batch * (p.gamma + 1), "specattn acceptance")?,
            // Safety: the driver fills it before `read_acceptance` looks at it.
            accept_host: unsafe { gpu.ctx.alloc_pinned_with_flags::<i32>(1 + batch * (p.gamma + 1), 0) }.during("allocating the acceptance's host copy")?,
            copy_stream: gpu.ctx.new_stream().during("creating a stream")?,
            accepted: gpu.ctx.new_event(Some(sys::CUevent_flags::CU_EVENT_DISABLE_TIMING)).during("creating an event")?,
            accept_copied: gpu.ctx.new_event(Some(sys::CUevent_flags::CU_EVENT_DISABLE_TIMING)).during("creating an event")?,
            lists: zeros(gpu, n_layer * batch * kvh * entries, "specattn draft lists")?,
            entries,
            selected: 0,
            forced_row: None,
            sel_seqlen: 0,
            topk_scratch: TopkScratch::new(gpu, &topk_shape, &topk.config)?,
            gather,
            topk,
            kernels: HashMap::new(),
            base_shape,
        };
        // The draft steps' `spec_draft_begin` uses these: made now, not while a step is captured.
        Self::kernels_for(&mut spec.kernels, &spec.base_shape, gpu, 1)?;
        Ok(spec)
    }

    /// Where layer `layer`'s chunk of `rows` rows per sequence leaves its log-sum-exps and its
    /// logits.
    pub fn capture_views(&mut self, layer: usize, rows: usize) -> (CudaViewMut<'_, f32>, CudaViewMut<'_, u8>) {
        let lse = self.lse.slice_mut(layer * self.lse_stride..(layer + 1) * self.lse_stride);
        let at = layer * self.logits_stride;
        let len = logit_codes::bytes(self.batch * self.kv_heads, self.base_shape.group as usize * rows, self.capacity);
        (lse, self.logits.slice_mut(at..at + len))
    }

    /// A draft step's attention at layer `layer`: the layer's list. The list holds the drafts'
    /// own positions only once their steps have run ([`SpecGpu::begin_draft`]), so the
    /// attention needs no context bound of its own: it is the same launch at every step.
    pub fn attend(&mut self, gpu: &Gpu, layer: usize, inputs: &AttentionInputs, out: &mut CudaSlice<u16>) -> Result<()> {
        if self.sel_seqlen == 0 {
            return Err(SdecError::Invalid("specattn: a draft step before any selection (prefill with capture first)".into()));
        }
        let per_layer = self.batch * self.kv_heads * self.entries;
        let list = self.lists.slice(layer * per_layer..(layer + 1) * per_layer);
        self.gather.launch_at(gpu, inputs, &list, self.capacity as u32, out, None)
    }

    /// A draft step's first kernel: its position `pos` [batch] into its slot of every layer's
    /// list, and its input `tokens` [batch] into its row of the round's verify chunk `chunk_in`
    /// ([batch][γ + 1]).
    pub fn begin_draft(&mut self, gpu: &Gpu, pos: &CudaSlice<i32>, tokens: &CudaSlice<i32>, chunk_in: &mut CudaSlice<i32>) -> Result<()> {
        let (b, rows) = (self.batch, self.params.gamma + 1);
        let kernels = Self::kernels_for(&mut self.kernels, &self.base_shape, gpu, 1)?;
        let held = chunk_in.len() / b;
        let mut chunk_in = chunk_in
            .try_slice_mut(..b * rows)
            .ok_or_else(|| SdecError::Invalid(format!("specattn: chunk passes of {held} tokens cannot verify γ + 1 = {rows}")))?;
        kernels.draft_begin(gpu, &mut self.lists.slice_mut(..), &pos.slice(..b), &self.sel_len.slice(..), &tokens.slice(..b), &mut chunk_in, rows)
    }

    /// The `spec` kernels for captured chunks of `qrows` rows per sequence, made on first use.
    /// (A map, not `self`: the callers hold other fields of `self` at the same time.)
    fn kernels_for<'k>(kernels: &'k mut HashMap<u32, SpecKernels>, base_shape: &SpecShape, gpu: &Gpu, qrows: usize) -> Result<&'k SpecKernels> {
        let qrows = qrows as u32;
        if !kernels.contains_key(&qrows) {
            let shape = SpecShape { qrows, ..base_shape.clone() };
            let config = Spec::default_config(&shape, &gpu.limits())?;
            kernels.insert(qrows, SpecKernels::new(gpu, config, shape)?);
        }
        kernels.get(&qrows).ok_or_else(|| SdecError::Invalid("spec kernel cache".into()))
    }

    /// Greedy acceptance of a verify pass of n rows per sequence from position `base`, on the
    /// device (`spec_accept`): it writes each sequence's next token and position and stages the
    /// selection's rows, so [`SpecGpu::select_staged`] follows with nothing uploaded. The result
    /// {j, verified tokens [batch][n]} is copied to the host without waiting:
    /// [`SpecGpu::read_acceptance`] waits for it.
    pub fn accept(&mut self, gpu: &Gpu, chunk: (&CudaSlice<i32>, &CudaSlice<i32>), n: usize, base: usize, next: (&mut CudaSlice<i32>, &mut CudaSlice<i32>)) -> Result<()> {
        let rows = self.batch * n;
        let (drafts, verified) = (chunk.0.slice(..rows), chunk.1.slice(..rows));
        let (mut tokens, mut pos) = (next.0.slice_mut(..self.batch), next.1.slice_mut(..self.batch));
        let kernels = Self::kernels_for(&mut self.kernels, &self.base_shape, gpu, n)?;
        let mut result = self.accept_result.slice_mut(..1 + rows);
        kernels.accept(gpu, &drafts, &verified, n, base, &mut result, &mut tokens, &mut pos, &mut self.rows.slice_mut(..), &mut self.sel_len.slice_mut(..), self.forced_row)?;
        self.accepted.record(&gpu.stream).during("recording an event")?;
        self.copy_stream.wait(&self.accepted).during("ordering the acceptance's copy")?;
        self.copy_stream.memcpy_dtoh(&self.accept_result.slice(..1 + rows), &mut self.accept_host).during("reading the acceptance")?;
        self.accept_copied.record(&self.copy_stream).during("recording an event")
    }

    /// The accepted row j and the verified tokens [batch][n] of the last [`SpecGpu::accept`]
    /// (waits for its copy only, not for what was enqueued after it).
    pub fn read_acceptance(&self, n: usize) -> Result<(usize, Vec<i32>)> {
        self.accept_copied.synchronize().during("waiting for the acceptance")?;
        let result = self.accept_host.as_slice().during("reading the acceptance")?;
        let j = usize::try_from(result[0]).ok().filter(|&j| j < n).ok_or_else(|| SdecError::Invalid(format!("spec_accept returned row {} of {n}", result[0])))?;
        Ok((j, result[1..1 + self.batch * n].to_vec()))
    }

    /// Selects the drafts' positions from the last captured chunk of `qrows` rows per sequence,
    /// whose row 0 sat at position `base` and whose row `j` was the last accepted (the same for
    /// every sequence): each (layer, sequence) keeps the top `spec_budget(base + j + 1)`
    /// positions by score; the draft steps add theirs.
    pub fn select(&mut self, gpu: &Gpu, qrows: usize, base: usize, j: usize) -> Result<()> {
        let rows: Vec<i32> = (0..self.batch).flat_map(|_| [base as i32, j as i32]).collect();
        gpu.stream.memcpy_htod(&rows, &mut self.rows).during("uploading verify rows")?;
        gpu.stream.memcpy_htod(&vec![(base + j + 1) as i32; self.batch], &mut self.sel_len).during("uploading selection length")?;
        self.select_staged(gpu, qrows, base)?;
        self.selected_at(base, j);
        Ok(())
    }

    /// [`SpecGpu::select`] with the rows {base, j} and the seqlen already on the device (as
    /// [`SpecGpu::accept`] leaves them), for any j: the host need not know it yet. The scores
    /// are laid out at the longest seqlen j can give (base + qrows; −inf past the staged one),
    /// `topk` keeps that seqlen's budget, and `spec_tokens` keeps of those the staged seqlen's
    /// budget (k differs by at most one across j, and the −inf positions rank last).
    /// [`SpecGpu::selected_at`] records j once it is read.
    pub fn select_staged(&mut self, gpu: &Gpu, qrows: usize, base: usize) -> Result<()> {
        let longest = base + qrows;
        let k = spec_budget(&self.params, longest);
        let kernels = Self::kernels_for(&mut self.kernels, &self.base_shape, gpu, qrows)?;
        // Scores [n_layer][batch][longest]: every layer in one launch.
        let strides = (self.logits_stride, self.lse_stride);
        kernels.score_logits(gpu, &self.logits.slice(..), &self.lse.slice(..), strides, &self.rows.slice(..), &mut self.scores.slice_mut(..), longest as u32)?;
        self.topk.launch_at(gpu, longest as u32, k as u32, &self.scores, &mut self.picks, &mut self.pick_values, &mut self.topk_scratch)?;
        let budget = (self.params.ratio, self.params.min);
        kernels.tokens(gpu, &self.picks.slice(..), &self.pick_values.slice(..), k as u32, budget, &self.sel_len.slice(..), &mut self.lists.slice_mut(..))
    }

    /// Records that the last selection was made at row `j` of a chunk from `base`: the drafts'
    /// seqlen and how many positions each layer's list holds.
    pub fn selected_at(&mut self, base: usize, j: usize) {
        self.sel_seqlen = base + j + 1;
        self.selected = spec_budget(&self.params, self.sel_seqlen);
    }

    /// KV entries (K and V rows) a draft step reads at context `ctx`.
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        let appended = ctx.saturating_sub(self.sel_seqlen);
        (self.n_layer * self.kv_heads * (self.selected + appended).min(ctx)) as u64
    }
}

#[cfg(test)]
mod tests {
    use sdec_kernels::spec::reference;
    use sdec_model::policies::{spec_budget, DraftMode, SpecAttnParams};

    /// `spec_tokens` decides the budget on the device from (ratio, least): it must be sdec-model's.
    #[test]
    fn the_kernels_budget_is_the_policys() {
        for (ratio, min) in [(0.07, 256), (0.5, 3), (0.0, 10), (1.0, 1), (0.013, 40)] {
            let p = SpecAttnParams { gamma: 6, ratio, min, draft: DraftMode::Verify, sink: 4 };
            for seqlen in (1..5000).chain([131_072, 131_079, 1 << 20]) {
                assert_eq!(reference::budget(p.ratio, p.min, seqlen), spec_budget(&p, seqlen), "ratio {ratio} min {min} at {seqlen}");
            }
        }
    }
}
