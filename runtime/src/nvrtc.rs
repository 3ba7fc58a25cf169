//! NVRTC: CUDA source to PTX at run time. Needs no GPU, only libnvrtc.

use std::sync::OnceLock;

use cudarc::nvrtc::Ptx;

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

/// Compiles one rendered kernel to a CUBIN for `arch` (e.g. "sm_90"); the error carries NVRTC's
/// log. A CUBIN, not PTX: the machine code is generated here, in parallel on CPU threads, so loading
/// a module costs no driver JIT (which is sequential and took most of a fuzz run).
pub fn compile(source: &str, arch: &str, family: &str, config: &str) -> Result<Ptx> {
    compile_cubin(source, arch, family, config).map(Ptx::from_binary)
}

/// [`compile`], returning the CUBIN's bytes (the tuner stores them; `Ptx::from_binary` loads them).
pub fn compile_cubin(source: &str, arch: &str, family: &str, config: &str) -> Result<Vec<u8>> {
    use cudarc::nvrtc::{result, sys};
    ensure_available()?;
    if arch.len() < 5 || !arch.starts_with("sm_") || !arch[3..].trim_end_matches('a').chars().all(|c| c.is_ascii_digit()) {
        return Err(SdecError::Invalid(format!("`{arch}` is not a target arch like sm_90")));
    }
    let fail = |log: String| SdecError::Compile { family: family.into(), config: config.into(), log };
    let c_source = std::ffi::CString::new(source).map_err(|_| fail("source contains a NUL byte".into()))?;
    let program = result::create_program(&c_source, None).map_err(|e| fail(e.to_string()))?;
    // The same options the kernel key hashes, so a key names exactly one binary.
    let options = sdec_kernels::family::nvrtc_options(arch);
    let compiled = unsafe { result::compile_program(program, &options) };
    let outcome = match compiled {
        Err(_) => {
            let log = unsafe { result::get_program_log(program) }.map(|chars| {
                let bytes: Vec<u8> = chars.into_iter().take_while(|&c| c != 0).map(|c| c as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            });
            Err(fail(log.unwrap_or_else(|e| e.to_string())))
        }
        Ok(()) => unsafe {
            let mut size = 0usize;
            let mut cubin = Vec::new();
            let status = sys::nvrtcGetCUBINSize(program, &mut size).result().and_then(|_| {
                cubin.resize(size, 0u8);
                sys::nvrtcGetCUBIN(program, cubin.as_mut_ptr() as *mut std::ffi::c_char).result()
            });
            status.map(|_| cubin).map_err(|e| fail(e.to_string()))
        },
    };
    let _ = unsafe { result::destroy_program(program) };
    outcome
}
