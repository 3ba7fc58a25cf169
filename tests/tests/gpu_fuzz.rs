//! The fuzzer on the GPU: every family against its reference. Skips (and says so) without a GPU.

use sdec_runtime::fuzz::{run, FuzzOptions};
use sdec_tests::gpu_or_skip;

#[test]
fn every_family_matches_its_reference() {
    let Some(gpu) = gpu_or_skip("every_family_matches_its_reference") else { return };
    let opts = FuzzOptions { families: vec![], cases: 400, seed: 7, only_case: None, max_size: None, progress: false };
    let report = run(&gpu, &opts).expect("fuzzer runs");
    for f in &report.failures {
        eprintln!("{} case {} {} {}: {}", f.family, f.case, f.shape, f.config, f.reason);
    }
    assert!(report.passed >= 400);
    assert_eq!(report.failed, 0);
}
