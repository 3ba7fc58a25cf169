//! Launchers of the glue kernels (kernels-gen/src/glue.rs, cuda/glue.cu).

use cudarc::driver::{CudaFunction, CudaSlice, CudaViewMut, LaunchConfig, PushKernelArg};
use sdec_kernels::glue::{RowShape, MAX_ARGMAX_CTAS};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate, zeros};
use crate::error::{CudaContextExt, Result, SdecError};
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
        let specs = F::launches(config, shape, &gpu.limits());
        let kernel = F::KERNELS[0];
        Ok(GlueKernel { function: kernels.function(kernel)?, config: launch_config(spec(&specs, kernel)?) })
    }
}

pub fn rmsnorm(gpu: &Gpu, k: &GlueKernel, x: &CudaSlice<f32>, w: &CudaSlice<u16>, y: &mut CudaSlice<u16>, n: i32, eps: f32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(x).arg(w).arg(y).arg(&n).arg(&eps).launch(k.config) }.during("rmsnorm")?;
    Ok(())
}

pub fn rope(gpu: &Gpu, k: &GlueKernel, x: &mut CudaSlice<u16>, pos: &CudaSlice<i32>, inv_freq: &CudaSlice<f64>, heads: i32, head_dim: i32) -> Result<()> {
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

/// `argmax`'s partial winners and per-row counters for up to `rows` rows (cuda/argmax.cu): the
/// counters start zeroed and every launch leaves them so.
pub struct ArgmaxScratch {
    values: CudaSlice<f32>,
    indices: CudaSlice<i32>,
    done: CudaSlice<u32>,
    rows: usize,
}

impl ArgmaxScratch {
    pub fn new(gpu: &Gpu, rows: usize) -> Result<Self> {
        let parts = rows * MAX_ARGMAX_CTAS as usize;
        Ok(ArgmaxScratch {
            values: zeros(gpu, parts, "argmax partial maxima")?,
            indices: zeros(gpu, parts, "argmax partial indices")?,
            done: zeros(gpu, rows, "argmax counters")?,
            rows,
        })
    }
}

/// The greedy token of each of the kernel's rows of `logits` ([rows][n]) into `out`.
pub fn argmax(gpu: &Gpu, k: &GlueKernel, logits: &CudaSlice<f32>, out: &mut CudaSlice<i32>, n: i32, scratch: &mut ArgmaxScratch) -> Result<()> {
    let rows = k.config.grid_dim.1 as usize;
    if rows > scratch.rows || out.len() < rows || logits.len() < rows * n.max(0) as usize {
        return Err(SdecError::Invalid(format!(
            "argmax of {rows} rows of {n}: logits hold {}, outputs {}, the scratch {} rows",
            logits.len(),
            out.len(),
            scratch.rows
        )));
    }
    let stride = MAX_ARGMAX_CTAS as i32;
    unsafe {
        gpu.stream.launch_builder(&k.function).arg(logits).arg(out).arg(&n).arg(&mut scratch.values).arg(&mut scratch.indices).arg(&mut scratch.done).arg(&stride)
            .launch(k.config)
    }
    .during("argmax")?;
    Ok(())
}


pub fn embed(gpu: &Gpu, k: &GlueKernel, table: &CudaSlice<u16>, tokens: &CudaSlice<i32>, x: &mut CudaSlice<f32>, n: i32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(table).arg(tokens).arg(x).arg(&n).launch(k.config) }.during("embed")?;
    Ok(())
}

pub fn advance(gpu: &Gpu, k: &GlueKernel, pos: &mut CudaSlice<i32>, rows: i32) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(pos).arg(&rows).launch(k.config) }.during("advance")?;
    Ok(())
}

/// Where [`synth_weights`] writes: bf16 (the model) or fp32 (to test bit-identity).
pub enum SynthOut<'a, 'b> {
    Bf16(&'a mut CudaViewMut<'b, u16>),
    F32(&'a mut CudaViewMut<'b, f32>),
}

/// Which values [`synth_weights`] generates and where they go: `n` values of tensor `tensor_id`
/// from flat index `index0` on, in rows of `row_len` placed `out_stride` apart.
#[derive(Debug, Clone, Copy)]
pub struct SynthRange {
    pub seed: u64,
    pub tensor_id: u64,
    pub index0: u64,
    pub n: u64,
    pub row_len: u64,
    pub out_stride: u64,
}

/// Generates values as sdec-model's `synthetic::weight_value` does.
pub fn synth_weights(gpu: &Gpu, k: &GlueKernel, out: SynthOut, r: SynthRange, offset: f32, scale: f32) -> Result<()> {
    let null = 0u64;
    let b = gpu.stream.launch_builder(&k.function);
    let mut b = b;
    match out {
        SynthOut::Bf16(view) => {
            b.arg(view).arg(&null);
        }
        SynthOut::F32(view) => {
            b.arg(&null).arg(view);
        }
    }
    unsafe {
        b.arg(&r.n).arg(&r.seed).arg(&r.tensor_id).arg(&r.index0).arg(&r.row_len).arg(&r.out_stride).arg(&offset).arg(&scale).launch(k.config)
    }
    .during("generating synthetic weights")?;
    Ok(())
}

/// Qwen3's per-head RMSNorm of q and k before the rotation: the two weights ([head_dim] bf16) and eps.
pub type QkNorm<'a> = (&'a CudaSlice<u16>, &'a CudaSlice<u16>, f32);

/// RoPE of the fused qkv rows into `q_out` and the cache (after `qk_norm` where given), and V
/// appended (see glue.cu).
#[allow(clippy::too_many_arguments)]
pub fn rope_append(
    gpu: &Gpu, k: &GlueKernel, qkv: &CudaSlice<u16>, q_out: &mut CudaSlice<u16>, k_cache: &mut CudaSlice<u16>, v_cache: &mut CudaSlice<u16>,
    pos: &CudaSlice<i32>, inv_freq: &CudaSlice<f64>, (heads, kv_heads, head_dim, capacity): (i32, i32, i32, i32), rows_per_seq: i32,
    qk_norm: Option<QkNorm<'_>>,
) -> Result<()> {
    let mut launch = gpu.stream.launch_builder(&k.function);
    launch.arg(qkv).arg(q_out).arg(k_cache).arg(v_cache).arg(pos).arg(inv_freq).arg(&heads).arg(&kv_heads).arg(&head_dim).arg(&capacity).arg(&rows_per_seq);
    // A null pointer tells the kernel there is no norm.
    let (null, no_eps) = (0u64, 0f32);
    match &qk_norm {
        Some((q_norm, k_norm, eps)) => launch.arg(*q_norm).arg(*k_norm).arg(eps),
        None => launch.arg(&null).arg(&null).arg(&no_eps),
    };
    unsafe { launch.launch(k.config) }.during("rope + kv append")?;
    Ok(())
}

/// Spins the GPU for `ns` nanoseconds; writes the time waited to `waited[0]`.
pub fn spin(gpu: &Gpu, k: &GlueKernel, waited: &mut CudaSlice<u64>, ns: u64) -> Result<()> {
    unsafe { gpu.stream.launch_builder(&k.function).arg(waited).arg(&ns).launch(k.config) }.during("spin")?;
    Ok(())
}
