//! A search strategy replayed against a recorded exhaustive run, without a GPU: every
//! configuration's time is the one the exhaustive run measured, so a strategy's choices, how
//! many configurations it would measure and compile, and how far its winner lands from the
//! exhaustive winner can be studied offline (`sdec tune --replay DIR`).
//!
//! What it cannot show: the run-to-run noise a real second run adds (`sdec tune --referee`
//! measures that), and seconds — it counts measurements and compilations, and estimates seconds
//! at the recorded run's cost per configuration of each entry (a lower bound: on the GPU descent
//! took ~1.3× that estimate, waiting for compiles and checking in smaller batches;
//! docs/results/tune.md, sessions 29 and 32).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use sdec_kernels::family::ParamInfo;
use serde_json::Value;

use crate::cache::Entry;
use crate::measure::{Measurement, Measurer};
use crate::strategy::{choose, search_from, Space, Strategy};

/// How many related winners seed a descent (the most recently tuned first).
pub const HINTS: usize = 3;

/// One entry replayed.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayRow {
    pub family: String,
    pub label: String,
    pub space: usize,
    /// Configurations the strategy measured, and the kernels it compiled that no earlier entry
    /// had compiled (an entry's shape bakes some of its sizes into the source, so a kernel
    /// serves only the entries whose shapes render it alike: `kernel_of` in [`replay`]).
    pub measured: usize,
    pub compiled: usize,
    pub winner: Value,
    /// The recorded entry's seconds, and those at its cost per configuration for what the
    /// strategy measured.
    pub recorded_s: f64,
    pub estimated_s: f64,
    /// The recorded times of the strategy's winner and of the exhaustive winner, and their ratio.
    /// The exhaustive winner is the choice rule of today applied to the recorded measurements
    /// (the recorded winner was chosen by the rule of its day), so a replay compares strategies,
    /// not rules.
    pub winner_us: f64,
    pub exhaustive_us: f64,
    pub ratio: f64,
}

/// The recorded measurements of one entry, as a measurer.
struct Recorded<'a> {
    results: &'a BTreeMap<usize, Measurement>,
    /// Each configuration's kernel (its key, or family and configuration where unknown).
    kernels: &'a [String],
    /// The kernels compiled so far in the replay.
    compiled: &'a mut HashSet<String>,
    new_compiles: usize,
}

impl Recorded<'_> {
    fn compile(&mut self, i: usize) {
        if self.compiled.insert(self.kernels[i].clone()) {
            self.new_compiles += 1;
        }
    }
}

impl Measurer for Recorded<'_> {
    fn measure(&mut self, i: usize) -> Measurement {
        self.compile(i);
        self.results.get(&i).cloned().unwrap_or(Measurement::Failed { reason: "not in the recorded run".into() })
    }
    /// A GPU measurer compiles what it is handed here, measured later or not.
    fn prepare(&mut self, indices: &[usize]) {
        for &i in indices {
            self.compile(i);
        }
    }
}

/// What a configuration of an entry compiles to: its kernel key (None: unknown, counted as one
/// kernel per family and configuration).
pub type KernelOf<'a> = &'a dyn Fn(&Entry, &Value) -> Option<String>;

/// Replays `strategy` over every entry of a recorded exhaustive run, in the recorded order.
/// `params` gives a family's declared parameters in order (None: the entry is skipped).
/// Hints are the winners this replay chose for the family's earlier entries, as in a real run.
pub fn replay(entries: &[Entry], params: &dyn Fn(&str) -> Option<&'static [ParamInfo]>, kernel_of: KernelOf, strategy: Strategy) -> Vec<ReplayRow> {
    let mut compiled = HashSet::new();
    let mut chosen: Vec<(String, Value)> = Vec::new();
    let mut rows = Vec::new();
    for e in entries {
        let Some(declared) = params(&e.key.family) else { continue };
        let names: Vec<&str> = declared.iter().map(|p| p.name).collect();
        let modes: Vec<&str> = declared.iter().filter(|p| p.mode).map(|p| p.name).collect();
        // The recorded run measured every index of the space, in declaration order.
        let mut by_index: Vec<(usize, &Value, &Measurement)> = e.measured.iter().map(|m| (m.index, &m.config, &m.result)).collect();
        by_index.sort_by_key(|x| x.0);
        if by_index.iter().enumerate().any(|(at, x)| x.0 != at) || by_index.len() != e.space {
            continue;
        }
        let configs: Vec<Value> = by_index.iter().map(|x| x.1.clone()).collect();
        let results: BTreeMap<usize, Measurement> = by_index.iter().map(|x| (x.0, x.2.clone())).collect();
        let kernels: Vec<String> = configs.iter().map(|c| kernel_of(e, c).unwrap_or_else(|| format!("{} {c}", e.key.family))).collect();
        let space = Space::from_json(&names, &configs).with_modes(&modes);
        let hints: Vec<usize> =
            chosen.iter().rev().filter(|(f, _)| *f == e.key.family).filter_map(|(_, c)| configs.iter().position(|x| x == c)).take(HINTS).collect();
        let mut measurer = Recorded { results: &results, kernels: &kernels, compiled: &mut compiled, new_compiles: 0 };
        let outcome = search_from(strategy, &space, &mut measurer, BTreeMap::new(), &hints, &|| false, &mut |_| {});
        // Configurations measured (the confirmation's extra timings of some are not counted).
        let (measured, new_compiles) = (outcome.results.len(), measurer.new_compiles);
        let Some(w) = outcome.winner else { continue };
        let time_of = |i: usize| results[&i].timed().map(|t| t.0).unwrap_or(f64::INFINITY);
        let winner_us = time_of(w);
        let exhaustive_us = choose(results.iter().map(|(i, m)| (*i, m))).map_or(e.winner_us, time_of);
        chosen.push((e.key.family.clone(), configs[w].clone()));
        rows.push(ReplayRow {
            family: e.key.family.clone(),
            label: e.label.clone(),
            space: e.space,
            measured,
            compiled: new_compiles,
            recorded_s: e.seconds,
            estimated_s: e.seconds * measured as f64 / e.space.max(1) as f64,
            winner: configs[w].clone(),
            winner_us,
            exhaustive_us,
            ratio: winner_us / exhaustive_us,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{EntryKey, GpuIdentity, Measured};
    use sdec_kernels::KernelKey;

    /// A recorded exhaustive entry over (a 4) × (b 4) with time `t(a, b)`; index = 4a + b.
    fn recorded(label: &str, t: impl Fn(usize, usize) -> f64) -> Entry {
        let gpu = GpuIdentity { name: "H".into(), compute_capability: (9, 0), sm_count: 132, driver: 13000, nvrtc: "13.0".into() };
        let measured: Vec<Measured> = (0..16)
            .map(|i| Measured {
                index: i,
                config: serde_json::json!({"a": i / 4, "b": i % 4}),
                result: Measurement::Timed { median_us: t(i / 4, i % 4), spread_us: 0.0, min_us: 0.0, max_us: 0.0, runs: 25 },
            })
            .collect();
        let best = measured.iter().min_by(|x, y| x.result.timed().unwrap().0.total_cmp(&y.result.timed().unwrap().0)).unwrap();
        let key = EntryKey { gpu, family: "f".into(), source_hash: "s".into(), bucket: label.into() };
        Entry {
            winner: best.config.clone(),
            winner_kernel: KernelKey("k".into()),
            winner_us: best.result.timed().unwrap().0,
            default: serde_json::json!({"a": 0, "b": 0}),
            default_us: Some(t(0, 0)),
            space: 16,
            tried: 16,
            seconds: 1.0,
            measured,
            ..Entry::unmeasured(key, label, Value::Null)
        }
    }

    /// The second shape's best (3, 3) is reached from the default only through slower lines, but
    /// the first shape's winner is next to it (and within descent's start window of the
    /// default): the replay seeds descent with it, as a real run does, and counts the kernels the
    /// first shape compiled as compiled.
    #[test]
    fn a_related_winner_seeds_the_next_descent() {
        let bowl = |a: usize, b: usize| 10.0 + (a as f64 - 3.0).powi(2) + (b as f64 - 2.0).powi(2);
        let trap = |a: usize, b: usize| if (a, b) == (3, 3) { 5.0 } else if a == 3 || b == 3 { 10.5 } else { 10.0 + a as f64 + b as f64 };
        let entries = vec![recorded("first", bowl), recorded("second", trap)];
        // b is declared first: descent sweeps its line first.
        const DECLARED: &[ParamInfo] =
            &[ParamInfo { name: "b", candidates: &[], mode: false }, ParamInfo { name: "a", candidates: &[], mode: false }];
        let params = |f: &str| (f == "f").then_some(DECLARED);
        let rows = replay(&entries, &params, &|_, _| None, Strategy::Descent { fraction: 0.5, min: 1 });
        let alone = replay(&entries[1..], &params, &|_, _| None, Strategy::Descent { fraction: 0.5, min: 1 });
        assert!(alone[0].ratio > 1.5, "without the hint descent stays in the default's basin: {alone:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].winner, serde_json::json!({"a": 3, "b": 2}));
        assert_eq!(rows[0].ratio, 1.0);
        assert_eq!(rows[1].winner, serde_json::json!({"a": 3, "b": 3}), "seeded from the first winner, (3, 3) is on its line");
        assert_eq!(rows[1].ratio, 1.0);
        assert!(rows[1].measured <= 8 && rows[1].compiled < rows[1].measured, "{rows:?}");
        // Each recorded entry took 1 s for its 16 configurations.
        assert_eq!(rows[1].recorded_s, 1.0);
        assert_eq!(rows[1].estimated_s, rows[1].measured as f64 / 16.0);
    }

    #[test]
    fn families_without_parameters_and_partial_entries_are_skipped() {
        let flat = |a: usize, b: usize| (a + b) as f64 + 1.0;
        assert!(replay(&[recorded("x", flat)], &|_| None, &|_, _| None, Strategy::Exhaustive).is_empty());
        let mut partial = recorded("p", flat);
        partial.measured.truncate(5);
        const DECLARED: &[ParamInfo] =
            &[ParamInfo { name: "a", candidates: &[], mode: false }, ParamInfo { name: "b", candidates: &[], mode: false }];
        assert!(replay(&[partial], &|_| Some(DECLARED), &|_, _| None, Strategy::Exhaustive).is_empty(), "an entry missing measurements cannot be replayed");
    }
}
