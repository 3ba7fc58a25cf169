//! Launchers of the glue kernels (kernels-gen/src/glue.rs, cuda/glue.cu).

use cudarc::driver::{CudaFunction, CudaSlice, LaunchConfig, PushKernelArg};
use sdec_kernels::glue::RowShape;
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result};
use crate::gpu::Gpu;

/// A glue kernel ready to launch: its function and geometry.
pub struct GlueKernel {
    function: CudaFunction,
    config: LaunchConfig,
}

impl GlueKernel {
    /// Compiles glue family `F` and resolves its single kernel.
    pub fn new<F: KernelFamily<Shape = RowShape>>(gpu: &Gpu, config: &F::Config, shape: &RowShape) -> Result<Self> {
        validate::<F>(gpu, config, shape)?;
        let kernels = gpu.module::<F>(config, shape)?;
        let specs = F::launches(config, shape);
        let kernel = F::KERNELS[0];
        Ok(GlueKernel { function: kernels.function(kernel)?, config: launch_config(spec(&specs, kernel)?) })
    }
}

pub fn rmsnorm(gpu: &Gpu, k: &GlueKernel, x: &CudaSlice<f32>, w: &CudaSlice<u16>, y: &mut CudaSlice<u16>, n: i32, eps: f32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(x).arg(w).arg(y).arg(&n).arg(&eps).launch(k.config) }.during("rmsnorm")?;
    Ok(())
}

pub fn rope(gpu: &Gpu, k: &GlueKernel, x: &mut CudaSlice<u16>, pos: &CudaSlice<i32>, inv_freq: &CudaSlice<f32>, heads: i32, head_dim: i32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(x).arg(pos).arg(inv_freq).arg(&heads).arg(&head_dim).launch(k.config) }.during("rope")?;
    Ok(())
}

pub fn swiglu(gpu: &Gpu, k: &GlueKernel, gate_up: &CudaSlice<u16>, out: &mut CudaSlice<u16>, n: i32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(gate_up).arg(out).arg(&n).launch(k.config) }.during("swiglu")?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn kv_append(
    gpu: &Gpu, k: &GlueKernel, k_new: &CudaSlice<u16>, v_new: &CudaSlice<u16>, k_cache: &mut CudaSlice<u16>, v_cache: &mut CudaSlice<u16>,
    pos: &CudaSlice<i32>, kv_heads: i32, capacity: i32, head_dim: i32,
) -> Result<()> {
    unsafe {
        gpu.stream.launch_builder(&k.function).arg(k_new).arg(v_new).arg(k_cache).arg(v_cache).arg(pos).arg(&kv_heads).arg(&capacity)
            .arg(&head_dim).launch(k.config)
    }
    .during("kv append")?;
    Ok(())
}

pub fn argmax(gpu: &Gpu, k: &GlueKernel, logits: &CudaSlice<f32>, out: &mut CudaSlice<i32>, n: i32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(logits).arg(out).arg(&n).launch(k.config) }.during("argmax")?;
    Ok(())
}

