//! The persistent-kernel experiment (benches/persist_micro, run on the GPU machine) keeps
//! compiling with the NVRTC `sdec` uses, so its recorded result can be measured again.

use std::path::Path;

#[test]
fn layers_cu_compiles_with_both_kernels() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/persist_micro/layers.cu");
    let source = std::fs::read_to_string(&path).expect("benches/persist_micro/layers.cu is in the repository");
    for kernel in ["extern \"C\" __global__ void __launch_bounds__(THREADS) product(", "extern \"C\" __global__ void __launch_bounds__(THREADS) layers("] {
        assert!(source.contains(kernel), "run.py launches `{kernel}`");
    }
    sdec_runtime::nvrtc::compile(&source, "sm_90", "persist_micro", "layers").expect("layers.cu compiles (run scripts/test.sh for NVRTC)");
}
