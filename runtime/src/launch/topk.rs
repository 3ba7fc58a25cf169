//! Launcher of the `topk` family (kernels-gen/src/topk, cuda/topk.cu).

use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaSlice, CudaStream, PushKernelArg};
use sdec_kernels::family::{DeviceLimits, Shape};
use sdec_kernels::topk::{cluster_layout, Topk, TopkConfig, TopkShape, CLUSTER, FUSED, MULTI, RESIDENT};
use sdec_kernels::KernelFamily;

use super::{launch_config, spec, validate, zeros};
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::{Gpu, Kernels};

/// Scratch of the MULTI strategy (unused by the others).
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
        let multi = config.strategy == MULTI;
        let segs = rows * config.ctas_per_row as usize * 2;
        Ok(TopkScratch {
            hist: zeros(gpu, if multi { rows * 2048 } else { 1 }, "top-k histograms")?,
            cand_key: zeros(gpu, if multi { rows * shape.n as usize } else { 1 }, "top-k candidates")?,
            seg_counts: zeros(gpu, if multi { segs } else { 1 }, "top-k segment counts")?,
            seg_plan: zeros(gpu, if multi { segs } else { 1 }, "top-k segment plan")?,
            state: zeros(gpu, if multi { rows * 3 } else { 1 }, "top-k row state")?,
        })
    }
}

/// A compiled top-k for one configuration and shape.
pub struct TopkKernel {
    pub shape: TopkShape,
    pub config: TopkConfig,
    kernels: Kernels,
    /// The device's limits, for the launch geometry on any stream.
    limits: DeviceLimits,
}

impl TopkKernel {
    pub fn new(gpu: &Gpu, config: TopkConfig, shape: TopkShape) -> Result<Self> {
        validate::<Topk>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Topk>(&config, &shape)?;
        if config.strategy == CLUSTER {
            prepare_cluster(gpu, &kernels, &config, &shape)?;
        }
        Ok(TopkKernel { shape, config, kernels, limits: gpu.limits() })
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
        self.launch_on(&gpu.stream, n, k, scores, out_idx, out_val, scratch)
    }

    /// [`TopkKernel::launch_at`] on stream `s` (LycheeDecode runs its picks beside the layer's
    /// projections).
    #[allow(clippy::too_many_arguments)]
    pub fn launch_on(
        &self, s: &CudaStream, n: u32, k: u32, scores: &CudaSlice<f32>, out_idx: &mut CudaSlice<i32>, out_val: &mut CudaSlice<f32>, scratch: &mut TopkScratch,
    ) -> Result<()> {
        let shape = TopkShape { n, k, ..self.shape.clone() };
        shape.validate()?;
        if n > self.shape.n || k > self.shape.k {
            return Err(crate::SdecError::Invalid(format!("top-k of {k} in rows of {n}: the kernel was made for at most {} of {}", self.shape.k, self.shape.n)));
        }
        let specs = Topk::launches(&self.config, &shape, &self.limits);
        let (n, k) = (n as i32, k as i32);
        match self.config.strategy {
            FUSED | RESIDENT => {
                let name = if self.config.strategy == FUSED { "topk_fused" } else { "topk_resident" };
                let f = self.kernels.function(name)?;
                let cfg = launch_config(spec(&specs, name)?);
                unsafe { s.launch_builder(&f).arg(scores).arg(&n).arg(&k).arg(out_idx).arg(out_val).launch(cfg) }.during(name)?;
                return Ok(());
            }
            CLUSTER => {
                let layout = cluster_layout(&shape, self.config.ctas_per_row, self.config.digit_bits);
                let (seg_len, cand_cap, gather_slot) = (layout.seg_len as i32, layout.cand_cap as i32, layout.gather_slot as i32);
                let f = self.kernels.function("topk_cluster")?;
                let cfg = launch_config(spec(&specs, "topk_cluster")?);
                unsafe {
                    s.launch_builder(&f).arg(scores).arg(&n).arg(&k).arg(&seg_len).arg(&cand_cap).arg(&gather_slot).arg(out_idx).arg(out_val).launch(cfg)
                }
                .during("topk_cluster")?;
                return Ok(());
            }
            _ => {}
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

/// Lets `topk_cluster` take its dynamic shared memory (over the 48 KB default) and, for clusters
/// of more than 8 CTAs, the non-portable cluster size; refuses a cluster the GPU cannot hold.
fn prepare_cluster(gpu: &Gpu, kernels: &Kernels, config: &TopkConfig, shape: &TopkShape) -> Result<()> {
    let f = kernels.function("topk_cluster")?;
    let specs = Topk::launches(config, shape, &gpu.limits());
    let cfg = launch_config(spec(&specs, "topk_cluster")?);
    // The most the device allows, not this shape's need: the module is shared by every shape.
    let static_bytes = f.get_attribute(CUfunction_attribute::CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES).during("reading topk_cluster's shared memory")?;
    f.set_attribute(CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, gpu.info.max_smem_optin - static_bytes)
        .during("raising topk_cluster's shared memory limit")?;
    if config.ctas_per_row > 8 {
        f.set_attribute(CUfunction_attribute::CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1).during("allowing a cluster of 16")?;
    }
    let clusters = f.occupancy_max_active_clusters(cfg, &gpu.stream).during("asking how many clusters fit")?;
    if clusters == 0 {
        return Err(SdecError::Invalid(format!(
            "topk: a cluster of {} CTAs of {} threads with {} bytes of shared memory each does not fit on this GPU",
            config.ctas_per_row, config.threads, cfg.shared_mem_bytes
        )));
    }
    Ok(())
}
