//! Integration tests live in `tests/`; this library only holds what they share.

use sdec_runtime::gpu::Gpu;

/// The GPU, or `None` after printing why the calling test is skipped.
pub fn gpu_or_skip(test: &str) -> Option<Gpu> {
    match Gpu::open(0) {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            eprintln!("skipped: {test}: no GPU ({e})");
            None
        }
    }
}
