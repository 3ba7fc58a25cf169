//! NVRTC: CUDA source to PTX at run time. Needs no GPU, only libnvrtc.

use std::sync::OnceLock;

use cudarc::nvrtc::{CompileError, CompileOptions, Ptx};

use crate::error::{Result, SdecError};

/// Checks that libnvrtc can be loaded; cudarc panics on first use otherwise.
pub fn ensure_available() -> Result<()> {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    if *PRESENT.get_or_init(|| unsafe { cudarc::nvrtc::sys::is_culib_present() }) {
        Ok(())
    } else {
        Err(SdecError::NoNvrtc)
    }
}

/// NVRTC's version as "major.minor".
pub fn version() -> Result<String> {
    ensure_available()?;
    let (mut major, mut minor) = (0, 0);
    unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) };
    Ok(format!("{major}.{minor}"))
}

/// Compiles one rendered kernel to PTX for `arch` (e.g. "sm_90"); the error carries NVRTC's log.
pub fn compile(source: &str, arch: &str, family: &str, config: &str) -> Result<Ptx> {
    ensure_available()?;
    if !arch.starts_with("sm_") || !arch[3..].trim_end_matches('a').chars().all(|c| c.is_ascii_digit()) || arch.len() < 5 {
        return Err(SdecError::Invalid(format!("`{arch}` is not a target arch like sm_90")));
    }
    // The same options the kernel key hashes, so a key names exactly one PTX.
    let options = CompileOptions { options: sdec_kernels::family::nvrtc_options(arch), ..Default::default() };
    cudarc::nvrtc::compile_ptx_with_opts(source, options).map_err(|e| {
        let log = match e {
            CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
            other => other.to_string(),
        };
        SdecError::Compile { family: family.into(), config: config.into(), log }
    })
}
