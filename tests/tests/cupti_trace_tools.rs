//! The step-timeline summary (benches/cupti_trace/summary.py, fed on the GPU machine by the CUPTI
//! library trace.c, which needs CUDA's CUPTI headers and is built there): what it reports of a
//! small made-up trace.

use std::path::Path;
use std::process::Command;

#[test]
fn summary_reports_the_last_step_its_idle_time_and_what_ran_together() {
    let dir = std::env::temp_dir().join(format!("sdec-cupti-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two steps; the second (from its embed at 100 us): linear 100-110 beside topk 105-108,
    // nothing 110-112, attend 112-120. Times in ns; the graph-node column is unused.
    let trace = "start_ns,end_ns,stream,graph_node,name\n\
                 0,2000,7,0,embed\n2000,50000,7,0,linear\n\
                 100000,101000,7,0,embed\n101000,110000,9,0,linear\n105000,108000,11,0,topk_resident\n112000,120000,7,0,attend\n";
    let (trace_path, step_path) = (dir.join("trace.csv"), dir.join("step.csv"));
    std::fs::write(&trace_path, trace).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/cupti_trace/summary.py");
    let out = Command::new("python3").arg(&script).arg(&trace_path).arg(&step_path).output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("last 1 pass: 4 kernels, 20.0 us from the first embed"), "{text}");
    assert!(text.contains("no kernel running for 2.0 us"), "{text}");
    assert!(text.contains("3.0 us  linear + topk_resident"), "{text}");
    assert!(text.contains("6.0 us  linear\n"), "linear alone: 101-105 and 108-110 us\n{text}");
    let step = std::fs::read_to_string(&step_path).unwrap();
    assert_eq!(step.lines().count(), 5, "a header and the last step's four kernels:\n{step}");
    assert!(step.lines().nth(1).unwrap().starts_with("0.00,1.00,embed"), "{step}");
    // Both passes: the first's idle time (50-100 us) counts too.
    let out = Command::new("python3").arg(&script).arg(&trace_path).arg(&step_path).arg("2").output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("last 2 passes: 6 kernels, 120.0 us from the first embed"), "{text}");
    assert!(text.contains("no kernel running for 52.0 us"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The per-layer view (benches/cupti_trace/layers.py) of a made-up step: two layers, each a
/// q|k|v `linear`, an `attend` that ends some µs after it, and a `combine` past that.
#[test]
fn layers_reports_each_kind_of_layer_by_its_attention_after_the_qkv_product() {
    let dir = std::env::temp_dir().join(format!("sdec-cupti-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Layer A: qkv ends at 10, attend ends at 44 (34 after), combine ends at 47.5 (3.5 past).
    // Layer B: qkv ends at 110, attend ends at 121 (11), combine ends at 123 (2).
    let step = "offset_us,duration_us,name\n0.00,1.00,embed\n2.00,8.00,linear\n9.00,35.00,attend\n10.00,37.50,combine\n50.00,20.00,linear\n\
                100.00,10.00,linear\n109.00,12.00,attend\n110.00,13.00,combine\n130.00,5.00,linear\n";
    let path = dir.join("step.csv");
    std::fs::write(&path, step).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/cupti_trace/layers.py");
    let out = Command::new("python3").arg(&script).arg(&path).output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("| 0–20 µs | 1 | 11.00 | 2.00 |"), "{text}");
    assert!(text.contains("| 20–100 µs | 1 | 34.00 | 3.50 |"), "{text}");
    assert!(!text.contains("100–inf"), "no layer over 100 µs: {text}");
    std::fs::remove_dir_all(&dir).ok();
}
