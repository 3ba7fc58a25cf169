//! Errors of the runtime, each naming its cause and, where there is one, the fix.

use sdec_kernels::ShapeError;

#[derive(Debug, thiserror::Error)]
pub enum SdecError {
    #[error("no CUDA driver: libcuda could not be loaded (this machine has no NVIDIA GPU or driver)")]
    NoDriver,
    #[error("no CUDA device: the driver reports {0} devices")]
    NoDevice(i32),
    #[error("NVRTC is not available: libnvrtc could not be loaded. Run `./scripts/setup.sh` (it installs nvidia-cuda-nvrtc into .sdec/nvrtc) and put its lib folder on LD_LIBRARY_PATH, or use ./sdec which does both")]
    NoNvrtc,
    #[error("NVRTC failed to compile {family} {config}:\n{log}")]
    Compile { family: String, config: String, log: String },
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error("{family}: configuration {config} is not valid for this shape: {reason}")]
    Config { family: String, config: String, reason: String },
    #[error("out of device memory: {what} needs {needed} bytes, {free} bytes are free")]
    OutOfMemory { what: String, needed: usize, free: usize },
    #[error("CUDA error during {during}: {source}")]
    Cuda { during: String, source: cudarc::driver::DriverError },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, SdecError>;

/// Attaches what was being done to a driver error.
pub trait CudaContextExt<T> {
    fn during(self, what: &str) -> Result<T>;
}

impl<T> CudaContextExt<T> for std::result::Result<T, cudarc::driver::DriverError> {
    fn during(self, what: &str) -> Result<T> {
        self.map_err(|source| SdecError::Cuda { during: what.to_string(), source })
    }
}
