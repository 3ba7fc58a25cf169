//! Launcher of the `lfps` family (kernels-gen/src/lfps.rs, cuda/lfps.cu).

use cudarc::driver::{CudaSlice, PushKernelArg};
use sdec_kernels::lfps::{Lfps, LfpsConfig, LfpsShape};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

pub struct LfpsKernels {
    pub shape: LfpsShape,
    pub config: LfpsConfig,
    kernels: Kernels,
}

impl LfpsKernels {
    pub fn new(gpu: &Gpu, config: LfpsConfig, shape: LfpsShape) -> Result<Self> {
        validate::<Lfps>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Lfps>(&config, &shape)?;
        Ok(LfpsKernels { shape, config, kernels })
    }

    /// scores [batch*kv_heads][ctx]: q̄ · k at the candidates of `picks` [rows][k] widened by
    /// `w` (and the current token), −∞ elsewhere.
    pub fn candidate_scores(
        &self, gpu: &Gpu, q: &CudaSlice<u16>, k_cache: &CudaSlice<u16>, picks: &CudaSlice<i32>, w: u32, ctx: u32, scores: &mut CudaSlice<f32>,
    ) -> Result<()> {
        if ctx == 0 || ctx > self.shape.capacity {
            return Err(SdecError::Invalid(format!("lfps scores at context {ctx}: the kernels are planned for 1..={}", self.shape.capacity)));
        }
        let specs = Lfps::launches(&self.config, &self.shape, &gpu.limits());
        let (context, capacity, k, w) = (ctx as i32, self.shape.capacity as i32, self.shape.k as i32, w as i32);
        let f = self.kernels.function("lfps_clear")?;
        unsafe { gpu.stream.launch_builder(&f).arg(&mut *scores).arg(&context).launch(launch_config(spec(&specs, "lfps_clear")?)) }.during("lfps_clear")?;
        let f = self.kernels.function("lfps_score")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(q).arg(k_cache).arg(picks).arg(scores).arg(&k).arg(&w).arg(&context).arg(&capacity)
                .launch(launch_config(spec(&specs, "lfps_score")?))
        }
        .during("lfps_score")?;
        Ok(())
    }
}
