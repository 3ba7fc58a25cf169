//! `sdec tune --referee OTHER`: where this cache and another (same GPU, same sources) chose
//! different winners for an entry, times both winners again in one process, interleaved, and
//! reports how much slower the other's is.
//!
//! Two tuning runs time a configuration at different moments, and a 40 µs projection moves by
//! 2–5% between them (docs/results/tune.md), so "is descent's winner within 3% of the exhaustive
//! winner?" cannot be read off two runs' tables. Timed side by side, round after round, the two
//! see the same clocks and the same machine.

use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sdec_autotune::{bucket_id, source_hash, space_of, Cache, EntryKey, Lookup, Measurement, Measurer};
use serde::Serialize;

use super::{fnv, Ctx, GpuMeasurer, TuneFamily};

/// Interleaved timings of each of the two winners (each a median of `--runs` runs).
pub const REFEREE_ROUNDS: usize = 8;

/// One entry judged.
#[derive(Debug, Clone, Serialize)]
pub struct RefereeRow {
    pub family: String,
    pub label: String,
    /// This cache's winner and the other's (None where one has no entry).
    pub winner: Option<String>,
    pub other_winner: Option<String>,
    /// Their medians over the interleaved rounds (equal winners are not timed).
    pub winner_us: Option<f64>,
    pub other_us: Option<f64>,
    /// other / this; 1 where both chose the same configuration.
    pub ratio: Option<f64>,
    pub note: Option<String>,
}

impl RefereeRow {
    fn new(family: &str, label: &str) -> RefereeRow {
        RefereeRow { family: family.into(), label: label.into(), winner: None, other_winner: None, winner_us: None, other_us: None, ratio: None, note: None }
    }
}

/// Judges one entry of family `F` (see the module's note).
pub(super) fn referee_entry<F: TuneFamily>(ctx: &mut Ctx, other: &Cache, label: &str, shape: &F::Shape) -> RefereeRow {
    let mut row = RefereeRow::new(F::NAME, label);
    let key = EntryKey { gpu: ctx.identity.clone(), family: F::NAME.into(), source_hash: source_hash::<F>(), bucket: bucket_id::<F>(shape) };
    let (ours, theirs) = match (ctx.cache.lookup(&key), other.lookup(&key)) {
        (Lookup::Hit(a), Lookup::Hit(b)) => (a.winner.clone(), b.winner.clone()),
        (a, b) => {
            let missing = [("this cache", matches!(a, Lookup::Hit(_))), ("the other cache", matches!(b, Lookup::Hit(_)))];
            let names: Vec<&str> = missing.iter().filter(|(_, hit)| !hit).map(|(n, _)| *n).collect();
            row.note = Some(format!("no entry for this GPU and source in {}", names.join(" nor ")));
            return row;
        }
    };
    row.winner = Some(ours.to_string());
    row.other_winner = Some(theirs.to_string());
    if ours == theirs {
        row.ratio = Some(1.0);
        return row;
    }
    let (configs, _) = space_of::<F>(shape, &ctx.limits);
    let index: HashMap<String, usize> = configs.iter().enumerate().map(|(i, c)| (serde_json::to_value(c).unwrap_or_default().to_string(), i)).collect();
    let (Some(&a), Some(&b)) = (index.get(&ours.to_string()), index.get(&theirs.to_string())) else {
        row.note = Some("a winner is no longer in the family's valid space".into());
        return row;
    };
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ fnv(label) ^ fnv(F::NAME));
    let bench = match F::bench_setup(ctx.gpu, shape, &mut rng) {
        Ok(bench) => bench,
        Err(e) => {
            row.note = Some(format!("cannot set up the inputs: {e}"));
            return row;
        }
    };
    ctx.bar.set_message(format!("referee {} {label}", F::NAME));
    let mut measurer = GpuMeasurer::<F> { ctx, label, shape, configs: &configs, bench, cubins: HashMap::new(), rejected: HashMap::new(), background: Default::default() };
    let (mut mine, mut yours) = (Vec::new(), Vec::new());
    for _ in 0..REFEREE_ROUNDS {
        let pair = measurer.measure_batch(&[a, b]);
        let mut pair = pair.into_iter();
        mine.extend(pair.next());
        yours.extend(pair.next());
    }
    match (Measurement::combine(&mine).timed(), Measurement::combine(&yours).timed()) {
        (Some((t_a, _)), Some((t_b, _))) => {
            row.winner_us = Some(t_a);
            row.other_us = Some(t_b);
            row.ratio = Some(t_b / t_a);
        }
        _ => row.note = Some("a winner could not be verified and timed again".into()),
    }
    row
}

/// Every entry judged, as `--json` writes it.
#[derive(Debug, Serialize)]
pub struct RefereeReport {
    pub gpu: sdec_autotune::GpuIdentity,
    pub cache: std::path::PathBuf,
    pub other: std::path::PathBuf,
    pub rounds: usize,
    pub rows: Vec<RefereeRow>,
}

pub(super) fn print_table(r: &RefereeReport) {
    let us = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
    println!("{}: {} (this) against {} (other), {} interleaved rounds", r.gpu, r.cache.display(), r.other.display(), r.rounds);
    println!("| family | shape | this winner | µs | other winner | µs | other / this |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for row in &r.rows {
        let ratio = row.ratio.map(|x| format!("{x:.3}")).unwrap_or_else(|| "-".into());
        let same = row.winner.is_some() && row.winner == row.other_winner;
        let other = if same { "same".to_string() } else { row.other_winner.clone().unwrap_or_else(|| "-".into()) };
        println!(
            "| {} | {} | `{}` | {} | `{}` | {} | {}{} |",
            row.family,
            row.label,
            row.winner.as_deref().unwrap_or("-"),
            us(row.winner_us),
            other,
            us(row.other_us),
            ratio,
            row.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
        );
    }
    let judged: Vec<f64> = r.rows.iter().filter_map(|x| x.ratio).collect();
    let within = judged.iter().filter(|&&x| x <= 1.03).count();
    println!("the other's winner is within 3% of this one's for {within} of {} entries", judged.len());
}
