//! The persistent-kernel experiment (benches/persist_micro, run on the GPU machine) keeps
//! compiling with the NVRTC `sdec` uses, so its recorded result can be measured again.

use std::path::Path;

#[test]
fn layers_cu_compiles_with_every_kernel() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(repo.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    // As run.py compiles it: the shared helpers first.
    let source = read("kernels-gen/cuda/common.cuh") + &read("benches/persist_micro/layers.cu");
    for kernel in ["extern \"C\" __global__ void __launch_bounds__(THREADS) product(", "extern \"C\" __global__ void __launch_bounds__(THREADS) layers(", "extern \"C\" __global__ void __launch_bounds__(THREADS) layers_dyn(", "extern \"C\" __global__ void __launch_bounds__(THREADS) product_pdl("] {
        assert!(source.contains(kernel), "run.py launches `{kernel}`");
    }
    sdec_runtime::nvrtc::compile(&source, "sm_90", "persist_micro", "layers").expect("layers.cu compiles (run scripts/test.sh for NVRTC)");
}
