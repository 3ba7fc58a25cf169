//! Launcher of the `topk` family (kernels-gen/src/topk, cuda/topk.cu).

use cudarc::driver::{CudaSlice, PushKernelArg};
use sdec_kernels::topk::{Topk, TopkConfig, TopkShape};
use sdec_kernels::family::Shape;
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate, zeros};
use crate::error::{CudaContextExt, Result};
use crate::gpu::{Gpu, Kernels};

/// Scratch of the multi-CTA strategy (unused by the fused one).
pub struct TopkScratch {
    hist: CudaSlice<u32>,
    cand_key: CudaSlice<u32>,
    seg_counts: CudaSlice<u32>,
    seg_plan: CudaSlice<u32>,
    state: CudaSlice<u32>,
}

impl TopkScratch {
    pub fn new(gpu: &Gpu, shape: &TopkShape, config: &TopkConfig) -> Result<Self> {
        let rows = shape.rows as usize;
        let multi = config.ctas_per_row > 1;
        let segs = rows * config.ctas_per_row as usize * 2;
        Ok(TopkScratch {
            hist: zeros(gpu, if multi { rows * 2048 } else { 1 }, "top-k histograms")?,
            cand_key: zeros(gpu, if multi { rows * shape.n as usize } else { 1 }, "top-k candidates")?,
            seg_counts: zeros(gpu, if multi { segs } else { 1 }, "top-k segment counts")?,
            seg_plan: zeros(gpu, if multi { segs } else { 1 }, "top-k segment plan")?,
            state: zeros(gpu, if multi { rows * 2 } else { 1 }, "top-k row state")?,
        })
    }
}

/// A compiled top-k for one configuration and shape.
pub struct TopkKernel {
    pub shape: TopkShape,
    pub config: TopkConfig,
    kernels: Kernels,
}

impl TopkKernel {
    pub fn new(gpu: &Gpu, config: TopkConfig, shape: TopkShape) -> Result<Self> {
        validate::<Topk>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Topk>(&config, &shape)?;
        Ok(TopkKernel { shape, config, kernels })
    }

    /// scores [rows][n] -> out_idx, out_val [rows][k] (indices ascending).
    pub fn launch(
        &self, gpu: &Gpu, scores: &CudaSlice<f32>, out_idx: &mut CudaSlice<i32>, out_val: &mut CudaSlice<f32>, scratch: &mut TopkScratch,
    ) -> Result<()> {
        self.launch_at(gpu, self.shape.n, self.shape.k, scores, out_idx, out_val, scratch)
    }

    /// [`TopkKernel::launch`] on rows of `n ≤ shape.n` scores, `k ≤ shape.k` (rows laid out with
    /// stride `n`, outputs with stride `k`): the decode loop's rows grow with the context, and the
    /// kernel and its scratch are made once for the largest.
    #[allow(clippy::too_many_arguments)]
    pub fn launch_at(
        &self, gpu: &Gpu, n: u32, k: u32, scores: &CudaSlice<f32>, out_idx: &mut CudaSlice<i32>, out_val: &mut CudaSlice<f32>, scratch: &mut TopkScratch,
    ) -> Result<()> {
        let shape = TopkShape { n, k, ..self.shape.clone() };
        shape.validate()?;
        if n > self.shape.n || k > self.shape.k {
            return Err(crate::SdecError::Invalid(format!("top-k of {k} in rows of {n}: the kernel was made for at most {} of {}", self.shape.k, self.shape.n)));
        }
        let specs = Topk::launches(&self.config, &shape);
        let (n, k) = (n as i32, k as i32);
        let s = &gpu.stream;
        if self.config.ctas_per_row == 1 {
            let f = self.kernels.function("topk_fused")?;
            let cfg = launch_config(spec(&specs, "topk_fused")?);
            unsafe { s.launch_builder(&f).arg(scores).arg(&n).arg(&k).arg(out_idx).arg(out_val).launch(cfg) }.during("topk_fused")?;
            return Ok(());
        }
        // `hist` is zero here: allocated zeroed, and topk_resolve clears it after use.
        let f = self.kernels.function("topk_hist")?;
        unsafe { s.launch_builder(&f).arg(scores).arg(&n).arg(&mut scratch.hist).launch(launch_config(spec(&specs, "topk_hist")?)) }.during("topk_hist")?;
        let f = self.kernels.function("topk_filter")?;
        unsafe {
            s.launch_builder(&f).arg(scores).arg(&n).arg(&k).arg(&scratch.hist).arg(&mut scratch.cand_key).arg(&mut scratch.seg_counts)
                .launch(launch_config(spec(&specs, "topk_filter")?))
        }
        .during("topk_filter")?;
        let f = self.kernels.function("topk_resolve")?;
        unsafe {
            s.launch_builder(&f).arg(&n).arg(&k).arg(&mut scratch.hist).arg(&scratch.cand_key).arg(&scratch.seg_counts).arg(&mut scratch.state)
                .arg(&mut scratch.seg_plan).launch(launch_config(spec(&specs, "topk_resolve")?))
        }
        .during("topk_resolve")?;
        let f = self.kernels.function("topk_write")?;
        unsafe {
            s.launch_builder(&f).arg(scores).arg(&n).arg(&k).arg(&scratch.state).arg(&scratch.seg_plan).arg(out_idx).arg(out_val)
                .launch(launch_config(spec(&specs, "topk_write")?))
        }
        .during("topk_write")?;
        Ok(())
    }
}
