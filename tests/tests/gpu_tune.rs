//! The tuner on the GPU (skips without one): a small tune verifies, times and caches; a second
//! run over the same keys compiles and times nothing; the runtime then takes the cached winner.

use clap::Parser;
use sdec_autotune::{Cache, Preset, Tunable};
use sdec_kernels::topk::Topk;
use sdec_runtime::tune::{tune, TuneArgs};
use sdec_runtime::tuned::Tuned;
use sdec_tests::gpu_or_skip;

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: TuneArgs,
}

fn args(extra: &[&str]) -> TuneArgs {
    Wrap::parse_from(["tune"].iter().chain(extra)).args
}

#[test]
fn tune_caches_and_a_second_run_does_nothing() {
    let Some(gpu) = gpu_or_skip("tune_caches_and_a_second_run_does_nothing") else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let a = args(&["--family", "topk,rmsnorm", "--shapes", "quick", "--cache", cache]);
    let first = tune(&a).expect("tune runs");
    assert!(first.wrong.is_empty(), "{:?}", first.wrong);
    assert_eq!(first.rows.len(), 2);
    assert!(first.rows.iter().all(|r| r.status == "tuned" && r.winner_us.is_some()), "{:#?}", first.rows);
    assert!(first.compiled > 0 && first.timed > 0);
    let second = tune(&a).expect("tune runs");
    assert_eq!((second.compiled, second.timed), (0, 0));
    assert!(second.rows.iter().all(|r| r.status == "cached"));
    assert_eq!(Cache::load(dir.path()).file.entries.len(), 2);
    // The runtime takes the winner for a shape of that bucket.
    let tuned = Tuned::open(&gpu, dir.path()).unwrap();
    let shape = Topk::preset(Preset::Quick)[0].shape.clone();
    let winner: serde_json::Value = serde_json::from_str(first.rows[0].winner.as_ref().unwrap()).unwrap();
    let config = tuned.config_for::<Topk>(&gpu, &shape).unwrap();
    assert_eq!(serde_json::to_value(config).unwrap(), winner);
}
