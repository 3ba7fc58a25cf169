//! Launcher of the `block_score` family (kernels-gen/src/block_score.rs, cuda/block_score.cu).

use cudarc::driver::{CudaSlice, PushKernelArg};
use sdec_kernels::block_score::{BlockScore, BlockScoreConfig, BlockScoreShape};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result};
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
        let specs = BlockScore::launches(&self.config, &self.shape);
        let (context, capacity) = (self.shape.context as i32, self.shape.capacity as i32);
        let f = self.kernels.function("block_score")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(q).arg(k).arg(scores).arg(&context).arg(&capacity)
                .launch(launch_config(spec(&specs, "block_score")?))
        }
        .during("block scoring")?;
        Ok(())
    }
}
