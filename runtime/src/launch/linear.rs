//! Launcher of the `linear` family (kernels-gen/src/linear.rs, cuda/linear.cu).

use std::ffi::c_void;

use cudarc::driver::{sys, CudaFunction, CudaSlice, DevicePtr, DevicePtrMut, DriverError, LaunchConfig};
use sdec_kernels::linear::{Linear, LinearConfig, LinearIn, LinearOut, LinearShape};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;

/// The input rows; must match the shape's [`LinearIn`].
pub enum LinearSrc<'a> {
    Bf16(&'a CudaSlice<u16>),
    F32(&'a CudaSlice<f32>),
    /// The fp32 residual rows and the norm's weights.
    RmsNorm { x: &'a CudaSlice<f32>, gamma: &'a CudaSlice<u16>, eps: f32 },
}

/// Where the product goes; must match the shape's [`LinearOut`].
pub enum LinearDst<'a> {
    Bf16(&'a mut CudaSlice<u16>),
    F32(&'a mut CudaSlice<f32>),
    /// [`LinearOut::RopeAppend`]: the rotated q, and the layer's KV cache
    /// `[seq][kv_heads][capacity][head_dim]` that takes each row's k and v at `pos[row]` (seq =
    /// row / rows_per_seq), RoPE's fp64 inverse frequencies `[head_dim / 2]`.
    RopeAppend(RopeDst<'a>),
}

pub struct RopeDst<'a> {
    pub q: &'a mut CudaSlice<u16>,
    pub k_cache: &'a mut CudaSlice<u16>,
    pub v_cache: &'a mut CudaSlice<u16>,
    pub pos: &'a CudaSlice<i32>,
    pub inv_freq: &'a CudaSlice<f64>,
    pub capacity: usize,
    pub rows_per_seq: usize,
}

pub struct LinearKernel {
    pub shape: LinearShape,
    pub config: LinearConfig,
    function: CudaFunction,
    launch: LaunchConfig,
}

impl LinearKernel {
    pub fn new(gpu: &Gpu, config: LinearConfig, shape: LinearShape) -> Result<Self> {
        validate::<Linear>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Linear>(&config, &shape)?;
        let specs = Linear::launches(&config, &shape, &gpu.limits());
        Ok(LinearKernel { function: kernels.function("linear")?, launch: launch_config(spec(&specs, "linear")?), shape, config })
    }

    /// `y = W x` (or `y += W x`) for the shape's batch rows of `x`.
    pub fn launch(&self, gpu: &Gpu, w: &CudaSlice<u16>, x: LinearSrc, y: LinearDst) -> Result<()> {
        let s = &self.shape;
        let (out_dim, in_dim) = (s.out_dim as i32, s.in_dim as i32);
        let (rows_in, rows_out) = ((s.batch * s.in_dim) as usize, (s.batch * s.out_dim) as usize);
        let mismatch = || SdecError::Invalid(format!("linear {}x{} on {} rows: buffers do not match {:?} -> {:?}", s.out_dim, s.in_dim, s.batch, s.input, s.out));
        if w.len() < (s.out_dim as usize) * (s.in_dim as usize) {
            return Err(mismatch());
        }
        let stream = &gpu.stream;
        let (w_ptr, _w) = w.device_ptr(stream);
        let (x_ptr, gamma_ptr, eps, _x, _g) = match (x, s.input) {
            (LinearSrc::Bf16(x), LinearIn::Bf16) if x.len() >= rows_in => {
                let (p, g) = x.device_ptr(stream);
                (p, p, 0.0f32, g, None)
            }
            (LinearSrc::F32(x), LinearIn::F32) if x.len() >= rows_in => {
                let (p, g) = x.device_ptr(stream);
                (p, p, 0.0f32, g, None)
            }
            (LinearSrc::RmsNorm { x, gamma, eps }, LinearIn::RmsNorm) if x.len() >= rows_in && gamma.len() >= s.in_dim as usize => {
                let (p, g) = x.device_ptr(stream);
                let (q, h) = gamma.device_ptr(stream);
                (p, q, eps, g, Some(h))
            }
            _ => return Err(mismatch()),
        };
        // OUT_MODE 4's KV cache arguments follow the product's: null and zero in the other modes
        // (never read there).
        let mut guards = Vec::new();
        let (y_ptr, rope) = match (y, s.out) {
            (LinearDst::Bf16(y), LinearOut::Bf16) if y.len() >= rows_out => (keep(y.device_ptr_mut(stream), &mut guards), None),
            (LinearDst::F32(y), LinearOut::SwiGlu) if y.len() >= rows_out / 2 => (keep(y.device_ptr_mut(stream), &mut guards), None),
            (LinearDst::F32(y), LinearOut::F32 | LinearOut::AddF32) if y.len() >= rows_out => (keep(y.device_ptr_mut(stream), &mut guards), None),
            (LinearDst::RopeAppend(d), LinearOut::RopeAppend { head_dim, kv_heads }) => {
                let (hd, kv_dim) = (head_dim as usize, (head_dim * kv_heads) as usize);
                let (batch, q_dim) = (s.batch as usize, s.out_dim as usize - 2 * kv_dim);
                let seqs = batch.div_ceil(d.rows_per_seq.max(1));
                let fits = d.rows_per_seq >= 1
                    && d.q.len() >= batch * q_dim
                    && d.k_cache.len() >= seqs * kv_dim * d.capacity
                    && d.v_cache.len() >= seqs * kv_dim * d.capacity
                    && d.pos.len() >= batch
                    && d.inv_freq.len() >= hd / 2;
                if !fits {
                    return Err(mismatch());
                }
                let cache = [
                    keep(d.k_cache.device_ptr_mut(stream), &mut guards),
                    keep(d.v_cache.device_ptr_mut(stream), &mut guards),
                    keep(d.pos.device_ptr(stream), &mut guards),
                    keep(d.inv_freq.device_ptr(stream), &mut guards),
                ];
                let sizes = [head_dim as i32, kv_dim as i32, d.capacity as i32, d.rows_per_seq as i32];
                (keep(d.q.device_ptr_mut(stream), &mut guards), Some((cache, sizes)))
            }
            _ => return Err(mismatch()),
        };
        let (cache, sizes) = rope.unwrap_or(([0; 4], [0; 4]));
        let args = RawArgs::default().ptr(w_ptr).ptr(x_ptr).ptr(gamma_ptr).ptr(y_ptr).i32(out_dim).i32(in_dim).f32(eps);
        let args = cache.into_iter().fold(args, RawArgs::ptr);
        let args = sizes.into_iter().fold(args, RawArgs::i32);
        if self.config.mma == 0 && dependent_projections() {
            args.launch_dependent(gpu, &self.function, &self.launch).during("linear")?;
        } else {
            args.launch_plain(gpu, &self.function, &self.launch).during("linear")?;
        }
        drop(guards);
        Ok(())
    }
}

/// Whether the CUDA-core projections launch as programmatic dependents: yes, unless
/// `SDEC_LINEAR_PDL=0` (for A/B timings; read once). The kernel loads its first step of weights
/// before it waits for the predecessor and lets the next kernel launch once its weights are read.
fn dependent_projections() -> bool {
    static DEPENDENT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEPENDENT.get_or_init(|| std::env::var("SDEC_LINEAR_PDL").map_or(true, |v| v != "0"))
}

/// Anything: a device pointer's access guard (it records the stream's use of the buffer when
/// dropped), which must live until the launch is enqueued.
trait Held {}
impl<T> Held for T {}

fn keep<'a, G: 'a>((ptr, guard): (sys::CUdeviceptr, G), guards: &mut Vec<Box<dyn Held + 'a>>) -> sys::CUdeviceptr {
    guards.push(Box::new(guard));
    ptr
}

/// Kernel arguments, in 8-byte words: device pointers and 4-byte scalars take one each (a scalar
/// in the low bytes: the driver reads as many bytes as the kernel's parameter has), a by-value
/// struct as many as its size.
#[derive(Default)]
pub struct RawArgs {
    words: Vec<u64>,
    /// Where each argument's words start.
    starts: Vec<usize>,
}

impl RawArgs {
    fn push(mut self, words: &[u64]) -> Self {
        self.starts.push(self.words.len());
        self.words.extend_from_slice(words);
        self
    }
    pub fn ptr(self, p: cudarc::driver::sys::CUdeviceptr) -> Self {
        self.push(&[p])
    }
    pub fn i32(self, v: i32) -> Self {
        self.push(&[v as u32 as u64])
    }
    pub fn f32(self, v: f32) -> Self {
        self.push(&[v.to_bits() as u64])
    }
    /// A TMA tensor map passed by value (a `const __grid_constant__ TensorMap` parameter).
    pub fn tensor_map(self, map: &super::tensor_map::TensorMapWords) -> Self {
        self.push(map)
    }
    /// Launches `f` with them through [`launch_dependent`].
    pub fn launch_dependent(self, gpu: &Gpu, f: &CudaFunction, cfg: &LaunchConfig) -> std::result::Result<(), DriverError> {
        self.launch(gpu, f, cfg, true)
    }
    /// Launches `f` with them plainly (ordered after everything before it on the stream).
    pub fn launch_plain(self, gpu: &Gpu, f: &CudaFunction, cfg: &LaunchConfig) -> std::result::Result<(), DriverError> {
        self.launch(gpu, f, cfg, false)
    }
    fn launch(mut self, gpu: &Gpu, f: &CudaFunction, cfg: &LaunchConfig, dependent: bool) -> std::result::Result<(), DriverError> {
        let base = self.words.as_mut_ptr();
        // SAFETY: every start indexes into `words`, which outlives the launch call.
        let mut params: Vec<*mut c_void> = self.starts.iter().map(|&i| unsafe { base.add(i) } as *mut c_void).collect();
        launch_with(gpu, f, cfg, &mut params, dependent)
    }
}

/// Launches `f` with programmatic dependent launch: it may start while the stream's previous
/// kernel finishes, and must itself wait (`sdec_wait_for_predecessor`) before touching that
/// kernel's results. `params` points at each kernel argument, in order.
pub fn launch_dependent(gpu: &Gpu, f: &CudaFunction, cfg: &LaunchConfig, params: &mut [*mut c_void]) -> std::result::Result<(), DriverError> {
    launch_with(gpu, f, cfg, params, true)
}

/// Launches `f` on the GPU's stream, as a programmatic dependent or plainly (`dependent` false:
/// ordered after everything before it).
fn launch_with(gpu: &Gpu, f: &CudaFunction, cfg: &LaunchConfig, params: &mut [*mut c_void], dependent: bool) -> std::result::Result<(), DriverError> {
    // SAFETY: an all-zero attribute is a valid value of this plain C struct; it is read only
    // when `dependent` (numAttrs 1 below).
    let mut attr: sys::CUlaunchAttribute = unsafe { std::mem::zeroed() };
    attr.id = sys::CUlaunchAttributeID::CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attr.value.programmaticStreamSerializationAllowed = 1;
    let config = sys::CUlaunchConfig {
        gridDimX: cfg.grid_dim.0,
        gridDimY: cfg.grid_dim.1,
        gridDimZ: cfg.grid_dim.2,
        blockDimX: cfg.block_dim.0,
        blockDimY: cfg.block_dim.1,
        blockDimZ: cfg.block_dim.2,
        sharedMemBytes: cfg.shared_mem_bytes,
        hStream: gpu.stream.cu_stream(),
        attrs: &mut attr,
        numAttrs: dependent as u32,
    };
    gpu.ctx.bind_to_thread()?;
    // SAFETY: `params` holds one pointer per kernel argument, each to a value of the type the
    // kernel declares; the config outlives the call.
    unsafe { sys::cuLaunchKernelEx(&config, f.cu_function(), params.as_mut_ptr(), std::ptr::null_mut()) }.result()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A by-value tensor map takes 16 words and one argument slot; scalars and pointers one each.
    #[test]
    fn raw_args_lay_a_tensor_map_out_as_one_argument_of_128_bytes() {
        let map = [7u64; 16];
        let args = RawArgs::default().ptr(0xabc).i32(-1).tensor_map(&map).f32(1.5);
        assert_eq!(args.starts, vec![0, 1, 2, 18]);
        assert_eq!(args.words.len(), 19);
        assert_eq!(&args.words[2..18], &map);
        assert_eq!(args.words[1], 0xffff_ffff, "a 4-byte scalar in the low bytes");
        assert_eq!(args.words[18], 1.5f32.to_bits() as u64);
    }
}
