//! Every configuration of every family, for its standard shapes, compiles with NVRTC (no GPU
//! needed; scripts/test.sh installs NVRTC and puts it on LD_LIBRARY_PATH).

use sdec_kernels::registry::all_families;
use sdec_kernels::DeviceLimits;
use sdec_runtime::compile_all::compile_all;

#[test]
fn every_configuration_compiles_for_sm_90() {
    let families = all_families();
    let expected: usize = families.iter().map(|f| f.render_standard(&DeviceLimits::default()).len()).sum();
    let report = compile_all(&families, "sm_90", false).expect("NVRTC must be available: run scripts/test.sh");
    for f in &report.failed {
        eprintln!("{} {} {}:\n{}", f.family, f.shape, f.config, f.log);
    }
    assert_eq!(report.failed.len(), 0, "configurations failed to compile");
    assert_eq!(report.compiled, expected);
    // Every family contributes, and the attention families cover their whole declared space.
    assert_eq!(report.per_family.len(), families.len());
    for family in ["decode_attention", "gather_attention"] {
        let space = families.iter().find(|f| f.name() == family).map(|f| f.space_size()).unwrap_or(0);
        assert!(report.per_family[family] >= space, "{family}: {} compiled, space {space}", report.per_family[family]);
    }
}

#[test]
fn nvrtc_errors_carry_the_log() {
    let err = sdec_runtime::nvrtc::compile("extern \"C\" __global__ void k() { undefined_name(); }", "sm_90", "test", "{}")
        .expect_err("broken source must not compile");
    let text = err.to_string();
    assert!(text.contains("undefined_name"), "log missing from: {text}");
}

#[test]
fn unknown_arch_is_rejected() {
    let err = sdec_runtime::nvrtc::compile("", "gfx90a", "test", "{}").expect_err("not an NVIDIA arch");
    assert!(err.to_string().contains("gfx90a"));
}
