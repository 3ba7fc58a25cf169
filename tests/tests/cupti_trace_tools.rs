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
