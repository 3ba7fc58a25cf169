//! GPU discovery that never panics, and a cache of loaded modules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream};
use sdec_kernels::{DeviceLimits, KernelFamily, KernelKey};
use serde::Serialize;

use crate::error::{CudaContextExt, Result, SdecError};
use crate::nvrtc;
use crate::nvrtc_pool::{compile_many, Job};

/// What the tools report about the device, and what the tuner's cache is keyed by.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub compute_capability: (i32, i32),
    pub sm_count: i32,
    pub total_memory: usize,
    pub l2_bytes: i32,
    pub driver_version: i32,
    pub max_smem_optin: i32,
}

pub struct Gpu {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    pub info: DeviceInfo,
    modules: Mutex<HashMap<KernelKey, Arc<CudaModule>>>,
}

/// True when libcuda can be loaded (checked first: cudarc panics when it cannot).
pub fn driver_present() -> bool {
    unsafe { cudarc::driver::sys::is_culib_present() }
}

impl Gpu {
    /// Opens device `ordinal`, or says clearly why there is none.
    pub fn open(ordinal: usize) -> Result<Gpu> {
        if !driver_present() {
            return Err(SdecError::NoDriver);
        }
        let count = CudaContext::device_count().during("counting devices")?;
        if count <= ordinal as i32 {
            return Err(SdecError::NoDevice(count));
        }
        let ctx = CudaContext::new(ordinal).during("creating the CUDA context")?;
        let attr = |a| ctx.attribute(a).during("reading device attributes");
        let info = DeviceInfo {
            name: ctx.name().during("reading the device name")?,
            compute_capability: ctx.compute_capability().during("reading the compute capability")?,
            sm_count: attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?,
            total_memory: ctx.total_mem().during("reading device memory")?,
            l2_bytes: attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)?,
            driver_version: {
                let mut v = 0;
                unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) };
                v
            },
            max_smem_optin: attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)?,
        };
        // A stream of our own, not the legacy default stream: only these can be captured into
        // CUDA graphs. All work goes to this one stream, so cudarc's per-buffer events (which
        // order uses across streams) are not needed — and a graph capture cannot wait on them.
        // SAFETY: every buffer is allocated, used and freed on `stream` alone.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().during("creating a stream")?;
        Ok(Gpu { ctx, stream, info, modules: Mutex::new(HashMap::new()) })
    }

    pub fn arch(&self) -> String {
        let (major, minor) = self.info.compute_capability;
        format!("sm_{major}{minor}")
    }

    pub fn limits(&self) -> DeviceLimits {
        DeviceLimits {
            arch: self.arch(),
            max_threads_per_block: 1024,
            max_smem_per_block: self.info.max_smem_optin as u32,
            sm_count: self.info.sm_count as u32,
        }
    }

    /// Free device memory in bytes.
    pub fn free_memory(&self) -> Result<usize> {
        Ok(self.ctx.mem_get_info().during("reading free memory")?.0)
    }

    /// Loads (compiling on first use) the module of a family's configuration for a shape.
    pub fn module<F: KernelFamily>(&self, config: &F::Config, shape: &F::Shape) -> Result<Kernels> {
        let arch = self.arch();
        let key = F::key(config, shape, &arch);
        if let Some(module) = self.modules.lock().map_err(|_| SdecError::Invalid("module cache poisoned".into()))?.get(&key) {
            return Ok(Kernels::new(module.clone()));
        }
        let config_text = serde_json::to_string(config).unwrap_or_default();
        let ptx = nvrtc::compile(&F::render(config, shape), &arch, F::NAME, &config_text)?;
        self.insert_ptx(key, ptx)
    }

    /// Loads PTX compiled elsewhere (e.g. in parallel) under its key.
    pub fn insert_ptx(&self, key: KernelKey, ptx: cudarc::nvrtc::Ptx) -> Result<Kernels> {
        let module = self.ctx.load_module(ptx).during("loading a compiled module")?;
        self.modules.lock().map_err(|_| SdecError::Invalid("module cache poisoned".into()))?.insert(key, module.clone());
        Ok(Kernels::new(module))
    }

    /// Compiles (on every CPU core) and loads the modules of these configurations that are not
    /// loaded yet; the errors of those that fail, each with its configuration.
    pub fn precompile<F: KernelFamily>(&self, configs: &[F::Config], shape: &F::Shape) -> Vec<String> {
        let arch = self.arch();
        let mut units = std::collections::BTreeMap::new();
        for config in configs {
            let key = F::key(config, shape, &arch);
            if !self.has_module(&key) {
                units.entry(key).or_insert_with(|| Job::of::<F>(config, shape, &arch));
            }
        }
        let (keys, jobs): (Vec<KernelKey>, Vec<Job>) = units.into_iter().unzip();
        let compiled = compile_many(&jobs, &|_| {});
        keys.into_iter()
            .zip(compiled)
            .filter_map(|(key, cubin)| cubin.and_then(|c| self.insert_ptx(key, cudarc::nvrtc::Ptx::from_binary(c))).err().map(|e| e.to_string()))
            .collect()
    }

    pub fn has_module(&self, key: &KernelKey) -> bool {
        self.modules.lock().map(|m| m.contains_key(key)).unwrap_or(false)
    }
}

/// The kernels of one loaded module. Functions are looked up once and kept: a driver lookup per
/// launch would sit between the timing events and leave the GPU idle.
#[derive(Clone)]
pub struct Kernels {
    module: Arc<CudaModule>,
    functions: Arc<Mutex<HashMap<String, CudaFunction>>>,
}

impl Kernels {
    fn new(module: Arc<CudaModule>) -> Self {
        Kernels { module, functions: Arc::default() }
    }

    pub fn function(&self, name: &str) -> Result<CudaFunction> {
        let mut functions = self.functions.lock().map_err(|_| SdecError::Invalid("function cache poisoned".into()))?;
        if let Some(f) = functions.get(name) {
            return Ok(f.clone());
        }
        let f = self.module.load_function(name).during(&format!("loading kernel `{name}`"))?;
        functions.insert(name.to_string(), f.clone());
        Ok(f)
    }
}
