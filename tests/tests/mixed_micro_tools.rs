//! The mixed-layer experiment (benches/mixed_micro, run on the GPU machine) keeps compiling with
//! the NVRTC `sdec` uses, in every variant its scripts measure, so its recorded results
//! (docs/results/kernels.md, session 21) can be measured again.

use std::path::Path;

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/mixed_micro").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What common.py's `kernel` hands NVRTC: the `-D` definitions, ring.cuh, then the file.
fn compiles(file: &str, kernel: &str, defines: &[(&str, u32)]) {
    let body = read(file);
    assert!(body.contains(&format!("{kernel}(")), "the scripts launch `{kernel}` of {file}");
    let source = defines.iter().map(|(name, value)| format!("#define {name} {value}\n")).collect::<String>() + &read("ring.cuh") + &body;
    sdec_runtime::nvrtc::compile(&source, "sm_90", "mixed_micro", &format!("{file} {defines:?}"))
        .unwrap_or_else(|e| panic!("{file} with {defines:?} does not compile (run scripts/test.sh for NVRTC): {e}"));
}

#[test]
fn stream_cu_compiles_both_readers() {
    compiles("stream.cu", "plain_fold", &[("UNROLL", 1)]);
    compiles("stream.cu", "plain_fold", &[("UNROLL", 2)]);
    for (stages, consumers) in [(6, 4), (6, 8), (3, 4), (3, 2), (4, 4), (2, 4)] {
        compiles("stream.cu", "bulk_fold", &[("STAGES", stages), ("CONSUMERS", consumers)]);
    }
}

#[test]
fn the_staged_kernels_compile_in_every_measured_variant() {
    for skip in [0, 1, 2] {
        compiles("attend.cu", "bulk_attend", &[("W", 6), ("SLOTS", 2), ("SKIP", skip)]);
    }
    for (w, slots, rows) in [(6, 2, 32), (6, 4, 16), (8, 3, 16)] {
        compiles("attend8.cu", "bulk_attend8", &[("W", w), ("SLOTS", slots), ("UNIT_ROWS", rows)]);
    }
    for (w, slots, scores) in [(6, 2, 0), (6, 2, 1), (4, 3, 0), (3, 4, 0), (5, 2, 0), (4, 2, 0), (3, 2, 0), (2, 3, 0)] {
        compiles("attend_tc.cu", "tc_attend", &[("W", w), ("SLOTS", slots), ("SCORES", scores)]);
    }
    for (w, slots) in [(6, 2), (4, 2)] {
        compiles("attend_tc.cu", "tc_attend", &[("W", w), ("SLOTS", slots), ("LISTS", 1)]);
    }
}
