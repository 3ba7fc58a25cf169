//! Launchers of the `spec` family (kernels-gen/src/spec.rs, cuda/spec.cu): SpecAttn's selection
//! scores after a verify pass and the draft token lists from their top-k.
//!
//! Arguments are views so that one layer's launch can read its slice of the K cache and write its
//! rows of a buffer holding every layer (`buf.slice_mut(layer * batch * row_stride..)`).

use cudarc::driver::{CudaView, CudaViewMut, PushKernelArg};
use sdec_kernels::logit_codes;
use sdec_kernels::spec::{Spec, SpecConfig, SpecShape};
use sdec_kernels::{KernelFamily, LaunchSpec};

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

pub struct SpecKernels {
    pub shape: SpecShape,
    pub config: SpecConfig,
    kernels: Kernels,
    specs: Vec<LaunchSpec>,
}

/// Refuses a view shorter than the kernel reads or writes (the kernels do not check).
fn check_len(what: &str, len: usize, needed: usize) -> Result<()> {
    if len < needed {
        return Err(SdecError::Invalid(format!("spec: {what} holds {len} elements, the launch needs {needed}")));
    }
    Ok(())
}

impl SpecKernels {
    pub fn new(gpu: &Gpu, config: SpecConfig, shape: SpecShape) -> Result<Self> {
        validate::<Spec>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Spec>(&config, &shape)?;
        let specs = Spec::launches(&config, &shape, &gpu.limits());
        Ok(SpecKernels { shape, config, kernels, specs })
    }

    /// The scores of every layer of the shape into `out` [layers][batch][row_stride], in one
    /// launch, from the verify pass's logit codes (per layer `batch · kv_heads` sets of
    /// `qrows · group` rows, sdec_kernels::logit_codes, as `chunk_attention` writes them; layer l
    /// at byte `l · strides.0`, a multiple of 16), lse2 (per layer [batch][qrows][n_heads], log2
    /// domain, layer l at `l · strides.1`) and rows [batch][2] = {base, j}. `row_stride` (the
    /// top-k's row length, which grows every round) overrides the shape's.
    #[allow(clippy::too_many_arguments)]
    pub fn score_logits(
        &self, gpu: &Gpu, logits: &CudaView<u8>, lse2: &CudaView<f32>, strides: (usize, usize), rows: &CudaView<i32>, out: &mut CudaViewMut<f32>,
        row_stride: u32,
    ) -> Result<()> {
        let shape = SpecShape { row_stride, ..self.shape.clone() };
        let s = &shape;
        let (b, last) = (s.batch as usize, s.layers as usize - 1);
        let logits_len = logit_codes::bytes(b * s.kv_heads as usize, (s.qrows * s.group) as usize, s.capacity as usize);
        let lse_len = b * (s.qrows * s.n_heads()) as usize;
        if last > 0 && (strides.0 < logits_len || strides.1 < lse_len) {
            return Err(SdecError::Invalid(format!("spec: layer strides {strides:?} overlap a layer's logit codes ({logits_len} bytes) or lse2 ({lse_len})")));
        }
        // The kernel reads codes and maxes 4 bytes at a time from 16-byte blocks.
        if strides.0 % 16 != 0 {
            return Err(SdecError::Invalid(format!("spec: a layer stride of {} bytes of logit codes is not a multiple of 16", strides.0)));
        }
        check_len("logit codes", logits.len(), last * strides.0 + logits_len)?;
        check_len("lse2", lse2.len(), last * strides.1 + lse_len)?;
        check_len("rows", rows.len(), 2 * b)?;
        check_len("scores", out.len(), (last + 1) * b * s.row_stride as usize)?;
        let (row_stride, capacity) = (s.row_stride as i32, s.capacity as i32);
        let (logits_layer, lse_layer) = (strides.0 as i64, strides.1 as i64);
        let f = self.kernels.function("spec_score_logits")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(logits).arg(lse2).arg(rows).arg(out).arg(&row_stride).arg(&capacity).arg(&logits_layer).arg(&lse_layer)
                .launch(launch_config(spec(&Spec::launches(&self.config, s, &gpu.limits()), "spec_score_logits")?))
        }
        .during("spec scores from logits")?;
        Ok(())
    }

    /// Greedy acceptance of a verify pass on the device (see spec.cu `spec_accept`): from the
    /// chunk's inputs `drafts` and greedy outputs `verified` ([batch][n] each), writes `result`
    /// = {j, verified…}, each sequence's next token and position, and the selection's rows and
    /// seqlen. `force_row` keeps that row whatever matched (timing only, see spec.cu).
    #[allow(clippy::too_many_arguments)]
    pub fn accept(
        &self, gpu: &Gpu, drafts: &CudaView<i32>, verified: &CudaView<i32>, n: usize, base: usize, result: &mut CudaViewMut<i32>, next_tokens: &mut CudaViewMut<i32>,
        pos: &mut CudaViewMut<i32>, rows: &mut CudaViewMut<i32>, sel_len: &mut CudaViewMut<i32>, force_row: Option<usize>,
    ) -> Result<()> {
        let b = self.shape.batch as usize;
        if n == 0 {
            return Err(SdecError::Invalid("spec: acceptance of a verify pass of no rows".into()));
        }
        check_len("drafts", drafts.len(), b * n)?;
        check_len("verified tokens", verified.len(), b * n)?;
        check_len("acceptance result", result.len(), 1 + b * n)?;
        check_len("next tokens", next_tokens.len(), b)?;
        check_len("positions", pos.len(), b)?;
        check_len("rows", rows.len(), 2 * b)?;
        check_len("sel_len", sel_len.len(), b)?;
        let (batch, n, base) = (b as i32, n as i32, base as i32);
        let force_row = force_row.map_or(-1, |r| r.min(n as usize - 1) as i32);
        let f = self.kernels.function("spec_accept")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(drafts).arg(verified).arg(&batch).arg(&n).arg(&base).arg(result).arg(next_tokens).arg(pos).arg(rows).arg(sel_len).arg(&force_row)
                .launch(launch_config(spec(&self.specs, "spec_accept")?))
        }
        .during("spec acceptance")?;
        Ok(())
    }

    /// Token lists of `shape.layers` layers into `lists` [layers*batch][kv_heads][entries] from
    /// the top-k `picks` and their `pick_scores` ([layers*batch][k_valid] each) and `sel_len`
    /// [batch], keeping the first `budget(sel_len)` picks in top-k order, `budget` = (ratio,
    /// least) as in sdec-model's `spec_budget` (see spec.cu).
    #[allow(clippy::too_many_arguments)]
    pub fn tokens(
        &self, gpu: &Gpu, picks: &CudaView<i32>, pick_scores: &CudaView<f32>, k_valid: u32, budget: (f64, usize), sel_len: &CudaView<i32>, lists: &mut CudaViewMut<i32>,
    ) -> Result<()> {
        let s = &self.shape;
        if k_valid as u64 + s.gamma as u64 > s.entries as u64 {
            return Err(SdecError::Invalid(format!("spec: {k_valid} picks and {} appended positions exceed {} list entries", s.gamma, s.entries)));
        }
        if !(budget.0.is_finite() && budget.0 >= 0.0) || budget.1 > i32::MAX as usize {
            return Err(SdecError::Invalid(format!("spec: a budget of ratio {} and least {} cannot be kept", budget.0, budget.1)));
        }
        let rows = (s.layers * s.batch) as usize;
        check_len("picks", picks.len(), rows * k_valid as usize)?;
        check_len("pick scores", pick_scores.len(), rows * k_valid as usize)?;
        check_len("sel_len", sel_len.len(), s.batch as usize)?;
        check_len("token lists", lists.len(), rows * (s.kv_heads * s.entries) as usize)?;
        let (kv, entries, least) = (k_valid as i32, s.entries as i32, budget.1 as i32);
        let f = self.kernels.function("spec_tokens")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(picks).arg(pick_scores).arg(sel_len).arg(lists).arg(&kv).arg(&entries).arg(&budget.0).arg(&least)
                .launch(launch_config(spec(&self.specs, "spec_tokens")?))
        }
        .during("spec token lists")?;
        Ok(())
    }

    /// A draft step's first kernel (see spec.cu `spec_draft_begin`): each sequence's position
    /// `pos` [batch] into its slot of every layer's `lists` [layers*batch][kv_heads][entries],
    /// and its input token `tokens` [batch] into row pos − sel_len of `chunk_in` [batch][chunk_rows].
    #[allow(clippy::too_many_arguments)]
    pub fn draft_begin(
        &self, gpu: &Gpu, lists: &mut CudaViewMut<i32>, pos: &CudaView<i32>, sel_len: &CudaView<i32>, tokens: &CudaView<i32>, chunk_in: &mut CudaViewMut<i32>,
        chunk_rows: usize,
    ) -> Result<()> {
        let s = &self.shape;
        let b = s.batch as usize;
        check_len("token lists", lists.len(), (s.layers * s.batch * s.kv_heads * s.entries) as usize)?;
        for (what, len) in [("positions", pos.len()), ("sel_len", sel_len.len()), ("tokens", tokens.len())] {
            check_len(what, len, b)?;
        }
        check_len("chunk inputs", chunk_in.len(), b * chunk_rows)?;
        let (rows, gamma, entries) = (chunk_rows as i32, s.gamma as i32, s.entries as i32);
        let f = self.kernels.function("spec_draft_begin")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(lists).arg(pos).arg(sel_len).arg(tokens).arg(chunk_in).arg(&rows).arg(&gamma).arg(&entries)
                .launch(launch_config(spec(&self.specs, "spec_draft_begin")?))
        }
        .during("spec draft step begin")?;
        Ok(())
    }
}
