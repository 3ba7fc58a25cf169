//! Launcher of the `block_score` family (kernels-gen/src/block_score.rs, cuda/block_score.cu).

use cudarc::driver::{CudaSlice, PushKernelArg};
use sdec_kernels::block_score::{kernel_name, BlockScore, BlockScoreConfig, BlockScoreShape};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

pub struct BlockScoreKernel {
    pub shape: BlockScoreShape,
    pub config: BlockScoreConfig,
    kernels: Kernels,
}

impl BlockScoreKernel {
    pub fn new(gpu: &Gpu, config: BlockScoreConfig, shape: BlockScoreShape) -> Result<Self> {
        validate::<BlockScore>(gpu, &config, &shape)?;
        let kernels = gpu.module::<BlockScore>(&config, &shape)?;
        Ok(BlockScoreKernel { shape, config, kernels })
    }

    /// scores [batch*kv_heads][n_blocks] from q [batch][kv_heads*group][d] and K.
    pub fn launch(&self, gpu: &Gpu, q: &CudaSlice<u16>, k: &CudaSlice<u16>, scores: &mut CudaSlice<f32>) -> Result<()> {
        self.launch_at(gpu, q, k, self.shape.context, scores)
    }

    /// The same at context `ctx` (at most the shape's): rows of ceil(ctx / score_block) scores.
    pub fn launch_at(&self, gpu: &Gpu, q: &CudaSlice<u16>, k: &CudaSlice<u16>, ctx: u32, scores: &mut CudaSlice<f32>) -> Result<()> {
        if ctx == 0 || ctx > self.shape.context {
            return Err(SdecError::Invalid(format!("block scoring at context {ctx}: the kernel is planned for 1..={}", self.shape.context)));
        }
        let specs = BlockScore::launches(&self.config, &self.shape, &gpu.limits());
        let (context, capacity) = (ctx as i32, self.shape.capacity as i32);
        let name = kernel_name(&self.shape);
        let f = self.kernels.function(name)?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(q).arg(k).arg(scores).arg(&context).arg(&capacity)
                .launch(launch_config(spec(&specs, name)?))
        }
        .during("block scoring")?;
        Ok(())
    }
}
