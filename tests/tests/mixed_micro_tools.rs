//! The mixed-layer experiment (benches/mixed_micro, run on the GPU machine) keeps compiling with
//! the NVRTC `sdec` uses, in every variant its scripts measure, so its recorded results
//! (docs/results/kernels.md, session 21) can be measured again.

use std::path::Path;

fn source(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/mixed_micro").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The source as the scripts compile it with `-D` options: the definitions first.
fn with_defines(source: &str, defines: &[(&str, u32)]) -> String {
    defines.iter().map(|(name, value)| format!("#define {name} {value}\n")).collect::<String>() + source
}

#[test]
fn stream_cu_compiles_both_readers() {
    let stream = source("stream.cu");
    for kernel in ["plain_fold(", "bulk_fold("] {
        assert!(stream.contains(kernel), "run.py launches `{kernel}`");
    }
    for defines in [&[("UNROLL", 2)][..], &[("STAGES", 3), ("CONSUMERS", 2)], &[("STAGES", 6), ("CONSUMERS", 8)]] {
        sdec_runtime::nvrtc::compile(&with_defines(&stream, defines), "sm_90", "mixed_micro", &format!("stream {defines:?}"))
            .expect("stream.cu compiles (run scripts/test.sh for NVRTC)");
    }
}

#[test]
fn attend_cu_compiles_in_every_measured_variant() {
    let attend = source("attend.cu");
    assert!(attend.contains("bulk_attend("), "run_attend.py launches `bulk_attend`");
    // run_attend.py's (W, SLOTS, SHARED, PAD, SKIP) rows, and those of the earlier calls.
    for (w, slots, shared, pad, skip) in [(6, 2, 0, 0, 0), (4, 3, 0, 0, 0), (5, 2, 0, 0, 0), (3, 4, 0, 0, 0), (6, 2, 1, 0, 0), (4, 3, 1, 0, 0), (6, 2, 0, 1, 0), (6, 2, 0, 0, 1), (6, 2, 0, 0, 2)] {
        let defines = [("W", w), ("SLOTS", slots), ("SHARED", shared), ("PAD", pad), ("SKIP", skip)];
        sdec_runtime::nvrtc::compile(&with_defines(&attend, &defines), "sm_90", "mixed_micro", &format!("attend {defines:?}"))
            .expect("attend.cu compiles (run scripts/test.sh for NVRTC)");
    }
}

#[test]
fn attend8_cu_compiles_in_every_measured_variant() {
    let attend8 = source("attend8.cu");
    assert!(attend8.contains("bulk_attend8("), "run_attend.py launches `bulk_attend8`");
    for (w, slots, rows) in [(6, 2, 32), (4, 3, 32), (6, 4, 16), (8, 3, 16)] {
        let defines = [("W", w), ("SLOTS", slots), ("UNIT_ROWS", rows)];
        sdec_runtime::nvrtc::compile(&with_defines(&attend8, &defines), "sm_90", "mixed_micro", &format!("attend8 {defines:?}"))
            .expect("attend8.cu compiles (run scripts/test.sh for NVRTC)");
    }
}
