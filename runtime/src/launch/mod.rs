//! Launchers: one module per kernel family, beside `kernels-gen`'s module of the same name.
//! Each takes device buffers and a configuration, and launches the family's kernels in order.

pub mod attention;
pub mod block_score;
pub mod glue;
pub mod lfps;
pub mod linear;
pub mod quest;
pub mod spec;
pub mod tensor_map;
pub mod topk;

use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaSlice, CudaStream, DeviceRepr, LaunchConfig, ValidAsZeroBits};
use sdec_kernels::family::Shape;
use sdec_kernels::{KernelFamily, LaunchSpec};

use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

/// Lets `kernel` of `kernels` take the dynamic shared memory its launch spec asks for: beside its
/// static shared memory, past 48 KB in all, a kernel must opt in.
pub fn allow_dynamic_smem(kernels: &Kernels, specs: &[LaunchSpec], kernel: &str) -> Result<()> {
    let bytes = spec(specs, kernel)?.smem_bytes;
    if bytes > 0 {
        let f = kernels.function(kernel)?;
        f.set_attribute(CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes as i32)
            .during(&format!("raising `{kernel}`'s shared memory limit to {bytes} bytes"))?;
    }
    Ok(())
}

/// Refuses a shape the family cannot serve, or a configuration that breaks one of its constraints
/// on this GPU, naming the cause.
pub fn validate<F: KernelFamily>(gpu: &Gpu, config: &F::Config, shape: &F::Shape) -> Result<()> {
    shape.validate()?;
    F::check(config, shape, &gpu.limits()).map_err(|v| SdecError::Config {
        family: F::NAME.into(),
        config: serde_json::to_string(config).unwrap_or_default(),
        reason: v.to_string(),
    })
}

pub fn launch_config(spec: &LaunchSpec) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (spec.grid.x, spec.grid.y, spec.grid.z),
        block_dim: (spec.block.x, spec.block.y, spec.block.z),
        shared_mem_bytes: spec.smem_bytes,
    }
}

/// The launch spec of `kernel` among a family's specs.
pub fn spec<'a>(specs: &'a [LaunchSpec], kernel: &str) -> Result<&'a LaunchSpec> {
    specs.iter().find(|s| s.kernel == kernel).ok_or_else(|| SdecError::Invalid(format!("no launch spec for kernel `{kernel}`")))
}

/// Copies host data to a new device buffer, checking free memory first.
pub fn upload<T: DeviceRepr>(gpu: &Gpu, data: &[T], what: &str) -> Result<CudaSlice<T>> {
    ensure_fits(gpu, std::mem::size_of_val(data), what)?;
    gpu.stream.clone_htod(data).during(&format!("uploading {what}"))
}

/// A zeroed device buffer of `len` elements (at least one, so an unused argument is valid).
pub fn zeros<T: DeviceRepr + ValidAsZeroBits>(gpu: &Gpu, len: usize, what: &str) -> Result<CudaSlice<T>> {
    ensure_fits(gpu, len.max(1) * std::mem::size_of::<T>(), what)?;
    gpu.stream.alloc_zeros(len.max(1)).during(&format!("allocating {what}"))
}

pub fn download<T: DeviceRepr + Default + Clone>(stream: &std::sync::Arc<CudaStream>, buf: &CudaSlice<T>, what: &str) -> Result<Vec<T>> {
    stream.clone_dtoh(buf).during(&format!("reading back {what}"))
}

/// Refuses an allocation that cannot fit, naming it, instead of failing deep inside the driver.
pub fn ensure_fits(gpu: &Gpu, bytes: usize, what: &str) -> Result<()> {
    let free = gpu.free_memory()?;
    if bytes > free {
        return Err(SdecError::OutOfMemory { what: what.into(), needed: bytes, free });
    }
    Ok(())
}
