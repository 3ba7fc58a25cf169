//! The gather read-floor probe (benches/gather_floor, run on the GPU machine) keeps compiling
//! with the NVRTC `sdec` uses, so its recorded result can be measured again.

use std::path::Path;

#[test]
fn rows_cu_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/gather_floor/rows.cu");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(source.contains("extern \"C\" __global__ void __launch_bounds__(256) read_rows("), "run.py launches `read_rows`");
    sdec_runtime::nvrtc::compile(&source, "sm_90", "gather_floor", "rows").expect("rows.cu compiles (run scripts/test.sh for NVRTC)");
}
