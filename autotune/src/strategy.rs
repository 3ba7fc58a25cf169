//! Search strategies over a family's valid space, and the deterministic choice rule.
//!
//! Configurations are named by their index in the valid space, which lists them in declaration
//! order (the first parameter outermost, each parameter's candidates in their declared order);
//! index 0 is the family's default.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::measure::{Measurement, Measurer};

/// The least window of the choice rule, relative to the best median: run-to-run noise of a GPU
/// is about this large even where one run's interquartile range is smaller. Measured on the H100
/// (docs/results/tune.md, session 3): the winners of the `linear` projections (17–45 µs) moved by
/// 2–4.5% between runs of the same binary, so a 1% window let two runs pick different, equally
/// fast configurations for a fifth of the entries. At 3% the window's edge cut through
/// configurations that the standard preset's landscapes hold at 2.5–3.5% of the best, and two
/// runs parted on 3–6 of 49 entries; 4% (session 31, docs/results/tune.md).
pub const CHOICE_FLOOR: f64 = 0.04;

/// Descent's window floor: descent is held to within 3% of the exhaustive winner, and a pick up
/// to 4% off its own best gave that away where it had not measured the configuration the
/// exhaustive rule takes (replayed on 25 recorded landscapes: 45.5 of 49 within 3% on average at
/// 4%, 48–49 at 3%; docs/results/tune.md, session 32). Two descents measure different sets, so
/// a wider window does not make them agree more.
pub const DESCENT_CHOICE_FLOOR: f64 = 0.03;

/// Descent measures each start, but descends only from those within this fraction of the best
/// median seen so far (starts are taken fastest first): a descent from a slower start rarely
/// ended elsewhere than the faster ones, and took a fifth of the measurements (replayed on 25
/// recorded landscapes: 852 → 699 measurements, the same entries within 3%; session 32).
pub const START_WINDOW: f64 = 0.10;

/// Configurations within this fraction of the best median are timed again before the choice.
pub const CONFIRM_WINDOW: f64 = 0.10;
/// How many of them (the fastest), and how many extra timings of each, interleaved with the
/// others'. Descent confirms fewer: its time is the point, and its near-best are few.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirm {
    pub max: usize,
    pub rounds: usize,
}
pub const CONFIRM_EXHAUSTIVE: Confirm = Confirm { max: 6, rounds: 2 };
/// Descent's choice rested on one timing per configuration; in session 8 its four misses on the
/// H100 (3.1-6.2% off by the referee) were all within the noise of a single timing.
pub const CONFIRM_DESCENT: Confirm = Confirm { max: 3, rounds: 1 };

/// Times the near-best configurations again, round-robin, and keeps for each the median of its
/// timings: one timing of a 20 µs kernel moves by several per cent between moments of a run
/// (clocks, the rest of the machine), and interleaving spreads that over all candidates alike,
/// so two runs pick the same winner more often (docs/results/tune.md, session 3).
fn confirm(results: &mut BTreeMap<usize, Measurement>, measurer: &mut dyn Measurer, stop: &dyn Fn() -> bool, how: Confirm) {
    let mut near: Vec<(usize, f64)> = results.iter().filter_map(|(&i, m)| m.timed().map(|(t, _)| (i, t))).collect();
    let Some(best) = near.iter().map(|(_, t)| *t).min_by(f64::total_cmp) else { return };
    near.retain(|(_, t)| *t <= best * (1.0 + CONFIRM_WINDOW));
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    near.truncate(how.max);
    if near.len() < 2 {
        return;
    }
    let mut indices: Vec<usize> = near.iter().map(|(i, _)| *i).collect();
    indices.sort_unstable();
    let mut seen: BTreeMap<usize, Vec<Measurement>> = indices.iter().filter_map(|i| results.get(i).map(|m| (*i, vec![m.clone()]))).collect();
    for _ in 0..how.rounds {
        if stop() {
            break;
        }
        for (&i, m) in indices.iter().zip(measurer.retime(&indices)) {
            seen.entry(i).or_default().push(m);
        }
    }
    for (i, ms) in seen {
        results.insert(i, Measurement::combine(&ms));
    }
}

/// The deterministic choice: among timed configurations whose median is within the best's
/// measured spread (interquartile range, at least [`CHOICE_FLOOR`] of its median) of the best,
/// the earliest declared (smallest index) wins. Failed and wrong configurations never win.
pub fn choose<'a>(results: impl IntoIterator<Item = (usize, &'a Measurement)>) -> Option<usize> {
    choose_within(results, CHOICE_FLOOR)
}

/// [`choose`] with the window's floor `floor` (a fraction of the best median).
pub fn choose_within<'a>(results: impl IntoIterator<Item = (usize, &'a Measurement)>, floor: f64) -> Option<usize> {
    let timed: Vec<(usize, f64, f64)> = results.into_iter().filter_map(|(i, m)| m.timed().map(|(t, s)| (i, t, s))).collect();
    let best = timed.iter().min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))?;
    let window = best.1 + best.2.max(floor * best.1);
    timed.iter().filter(|(_, t, _)| *t <= window).map(|(i, _, _)| *i).min()
}

/// The median of configuration `i` (infinite where it was not timed).
fn time_of(results: &BTreeMap<usize, Measurement>, i: usize) -> f64 {
    results.get(&i).and_then(|m| m.timed()).map_or(f64::INFINITY, |(t, _)| t)
}

/// The timed configuration with the smallest median (ties: the earliest declared).
fn fastest<'a>(results: impl IntoIterator<Item = (usize, &'a Measurement)>) -> Option<usize> {
    results.into_iter().filter_map(|(i, m)| m.timed().map(|(t, _)| (i, t))).min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))).map(|(i, _)| i)
}

/// The valid space as coordinates: `coords[i][p]` is the position of configuration i's value
/// of parameter p among that parameter's values (in order of first appearance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub params: Vec<String>,
    pub coords: Vec<Vec<usize>>,
    /// Indices of the mode parameters (`#[mode]` in the family's declaration).
    pub modes: Vec<usize>,
    /// Per parameter that is not a mode and whose values are all numbers, each value's rank
    /// among them (by position, as in `coords`): descent walks such a parameter in order of its
    /// values instead of measuring its whole line. Empty or None: the whole line.
    pub ordered: Vec<Option<Vec<usize>>>,
}

impl Space {
    /// From configurations serialized as JSON objects, in declaration order.
    pub fn from_json(params: &[&str], configs: &[Value]) -> Space {
        let mut seen: Vec<Vec<Value>> = vec![Vec::new(); params.len()];
        let coords = configs
            .iter()
            .map(|c| {
                params
                    .iter()
                    .enumerate()
                    .map(|(p, name)| {
                        let v = c.get(*name).cloned().unwrap_or(Value::Null);
                        match seen[p].iter().position(|x| *x == v) {
                            Some(at) => at,
                            None => {
                                seen[p].push(v);
                                seen[p].len() - 1
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let rank = |values: &Vec<Value>| -> Option<Vec<usize>> {
            let numbers: Vec<f64> = values.iter().map(Value::as_f64).collect::<Option<_>>()?;
            Some(numbers.iter().map(|x| numbers.iter().filter(|y| y.total_cmp(x).is_lt()).count()).collect())
        };
        let ordered = seen.iter().map(rank).collect();
        Space { params: params.iter().map(|s| s.to_string()).collect(), coords, modes: Vec::new(), ordered }
    }

    pub fn len(&self) -> usize {
        self.coords.len()
    }

    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }

    /// Declares the parameters named in `modes` mode parameters (the DSL's `#[mode]`).
    pub fn with_modes(mut self, modes: &[&str]) -> Space {
        self.modes = self.params.iter().enumerate().filter(|(_, name)| modes.contains(&name.as_str())).map(|(p, _)| p).collect();
        for &p in &self.modes {
            if let Some(o) = self.ordered.get_mut(p) {
                *o = None;
            }
        }
        self
    }

    /// `line` (a line along `p`) ordered by the value of `p`, where `p` is ordered.
    pub fn sorted_line(&self, line: &[usize], p: usize) -> Option<Vec<usize>> {
        let values = self.ordered.get(p)?.as_ref()?;
        let mut sorted = line.to_vec();
        sorted.sort_by_key(|&i| (values[self.coords[i][p]], i));
        Some(sorted)
    }

    /// A start for each value of each mode parameter but the default's: the default with that
    /// value, or else the first configuration with it (the default's other values may not hold).
    pub fn mode_starts(&self) -> Vec<usize> {
        let Some(default) = self.coords.first() else { return Vec::new() };
        let mut starts = Vec::new();
        for &p in &self.modes {
            let values = self.coords.iter().map(|c| c[p] + 1).max().unwrap_or(0);
            for v in (0..values).filter(|&v| v != default[p]) {
                let same_elsewhere = |j: &usize| self.coords[*j].iter().enumerate().all(|(q, x)| q == p || *x == default[q]);
                let with_value: Vec<usize> = (0..self.len()).filter(|&j| self.coords[j][p] == v).collect();
                if let Some(&j) = with_value.iter().find(|j| same_elsewhere(j)).or(with_value.first()) {
                    starts.push(j);
                }
            }
        }
        starts
    }

    /// The configurations that differ from `i` in parameter `p` alone (and `i` itself), in order;
    /// and for each value of `p` that no such configuration has (a constraint ties it to other
    /// parameters, e.g. the gather family's `fill` to one split, or its TMA path to two thread
    /// counts), the first configuration with that value that differs from `i` in one more
    /// parameter: otherwise such a value is never reached from `i` by a step along one line.
    pub fn line(&self, i: usize, p: usize) -> Vec<usize> {
        let c = &self.coords[i];
        let differing = |j: usize| self.coords[j].iter().enumerate().filter(|&(q, v)| q != p && *v != c[q]).count();
        let mut line: Vec<usize> = (0..self.len()).filter(|&j| differing(j) == 0).collect();
        let values = self.coords.iter().map(|x| x[p] + 1).max().unwrap_or(0);
        for v in 0..values {
            if !line.iter().any(|&j| self.coords[j][p] == v) {
                line.extend((0..self.len()).find(|&j| self.coords[j][p] == v && differing(j) == 1));
            }
        }
        line.sort_unstable();
        line
    }
}

/// How a space is searched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Strategy {
    /// Every valid configuration.
    Exhaustive,
    /// Coordinate descent: from each start (the hints, the default, one per other value of each
    /// mode parameter, then [`RESTARTS`] configurations not measured yet) sweep the parameters
    /// in declaration order, moving along one parameter with the others fixed to the fastest
    /// seen, until a sweep moves nowhere. A parameter of numbers (not a mode) is walked: the
    /// values beside the current one, then on in the faster direction while it keeps getting
    /// faster; any other is tried at every value. A start more than [`START_WINDOW`] slower than
    /// the fastest seen is measured but not descended from. Once every start has converged, one
    /// more descent from the fastest so far tries every value of every parameter (unless hints
    /// seeded the search). It measures at most `fraction` of the space (at least `min`
    /// configurations, or all of a smaller space), and chooses within [`DESCENT_CHOICE_FLOOR`].
    Descent { fraction: f64, min: usize },
}

/// The share of a space descent measures at most by default. With its starts pruned
/// ([`START_WINDOW`]) and its 3% window, replayed on 25 recorded landscapes of the standard
/// preset: 0.1 measured 539 configurations a run (0.21 of the exhaustive run's time at its
/// costs), 49 of 49 entries within 3% on 22 landscapes and 48 on 3; 0.15 measured 604 with the
/// same entries, 0.3 699 with 49 on 24 (docs/results/tune.md, session 32).
pub const DESCENT_FRACTION: f64 = 0.1;

/// The least number of configurations descent measures by default (all of a smaller space): a
/// fraction of a 15-configuration space is 3, too few to leave the default's basin (chunk
/// attention at 8K ended 1.5x behind the exhaustive winner, session 4).
pub const SMALL_SPACE: usize = 12;
/// Starts that descent takes from scattered configurations once its seeds (the hints and the
/// default) have converged. One is enough to leave a bad default's basin where no related winner
/// is known (top-k's first entry: the best of another strategy is 2.6x faster, session 4); more
/// spent the rest of the budget without finding better winners (replayed on the recorded H100
/// run: 759 measurements unlimited, 635 with one, the same 47 of 48 entries within 3%; session 6).
pub const RESTARTS: usize = 1;
/// Measurements per batch of the exhaustive strategy (progress is saved between batches).
pub const BATCH: usize = 16;

impl Strategy {
    pub fn name(&self) -> String {
        match self {
            Strategy::Exhaustive => "exhaustive".into(),
            Strategy::Descent { fraction, min } => format!("descent({fraction}, min {min})"),
        }
    }

    /// What the strategy measures first in `space`, for a measurer to compile ahead of the
    /// search (e.g. during the entry before): exhaustive, everything; descent, its starts (the
    /// default and the mode starts; the hints are winners already compiled) and the default's
    /// first sweep, within its budget.
    pub fn first_measured(&self, space: &Space) -> Vec<usize> {
        match self {
            Strategy::Exhaustive => (0..space.len()).collect(),
            Strategy::Descent { .. } if space.is_empty() => Vec::new(),
            Strategy::Descent { .. } => {
                let mut prepared = BTreeSet::new();
                let mut first: Vec<usize> = std::iter::once(0).chain(space.mode_starts()).filter(|&i| prepared.insert(i)).collect();
                let room = self.budget(space.len()).saturating_sub(first.len());
                first.extend(lines_ahead(space, &BTreeMap::new(), &mut prepared, 0, 0, room));
                first
            }
        }
    }

    /// The most configurations the strategy measures in a space of `n`.
    pub fn budget(&self, n: usize) -> usize {
        match self {
            Strategy::Exhaustive => n,
            Strategy::Descent { fraction, min } => ((n as f64 * fraction).ceil() as usize).max(*min).min(n),
        }
    }
}

/// Every index of a space of `n` once, scattered: a golden-ratio stride, so consecutive ones
/// land far apart in the declaration order (and so in the outer parameters).
fn scattered_order(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11, i));
    order
}

/// The configurations a sweep from `current` measures next if it does not move: its lines of
/// parameters `from..`, less those measured or `prepared` before (the new ones are added to
/// it), at most `room` (the budget left), nearer lines first. Descent hands them to
/// [`Measurer::prepare`] at once, so a GPU measurer compiles a sweep's lines together instead of
/// one short line at a time (session 17).
fn lines_ahead(space: &Space, results: &BTreeMap<usize, Measurement>, prepared: &mut BTreeSet<usize>, current: usize, from: usize, room: usize) -> Vec<usize> {
    let mut ahead: Vec<usize> = Vec::new();
    // Of an ordered parameter's line, what a walk reaches first: two values on either side.
    let reach = |p: usize| -> Vec<usize> {
        let line = space.line(current, p);
        match space.sorted_line(&line, p) {
            Some(sorted) => {
                let at = sorted.iter().position(|&j| j == current).unwrap_or(0);
                sorted[at.saturating_sub(2)..(at + 3).min(sorted.len())].to_vec()
            }
            None => line,
        }
    };
    for i in (from..space.params.len()).flat_map(reach) {
        if ahead.len() < room && !results.contains_key(&i) && prepared.insert(i) {
            ahead.push(i);
        }
    }
    ahead
}

/// What a sweep measures first after moving to `candidate` along parameter `p`: the values of
/// the next parameter's line beside it (the whole line where it is not ordered). Descent hands
/// them over while it measures the candidates of a move, so that the kernels a move needs at
/// once are compiling before it is made.
fn next_line_ahead(space: &Space, results: &BTreeMap<usize, Measurement>, prepared: &mut BTreeSet<usize>, candidate: usize, p: usize, room: usize) -> Vec<usize> {
    let q = (p + 1) % space.params.len().max(1);
    let line = space.line(candidate, q);
    let near = match space.sorted_line(&line, q) {
        Some(sorted) => {
            let at = sorted.iter().position(|&j| j == candidate).unwrap_or(0);
            sorted[at.saturating_sub(1)..(at + 2).min(sorted.len())].to_vec()
        }
        None => line,
    };
    let mut ahead = Vec::new();
    for i in near {
        if ahead.len() < room && !results.contains_key(&i) && prepared.insert(i) {
            ahead.push(i);
        }
    }
    ahead
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Everything measured (or known from an interrupted run), by index.
    pub results: BTreeMap<usize, Measurement>,
    /// The choice among `results`; None when nothing could be timed.
    pub winner: Option<usize>,
    /// False when `stop` interrupted the search: the outcome must not be cached.
    pub complete: bool,
}

/// Searches `space` with `strategy`. `known` results (from an interrupted run) are not measured
/// again. `stop` is asked before each batch; `progress` sees the results after each batch.
pub fn search(
    strategy: Strategy,
    space: &Space,
    measurer: &mut dyn Measurer,
    known: BTreeMap<usize, Measurement>,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&BTreeMap<usize, Measurement>),
) -> Outcome {
    search_from(strategy, space, measurer, known, &[], stop, progress)
}

/// [`search`], with `hints`: configurations likely to be fast here (the winners of the same
/// family's related shapes), where descent starts before the default. Exhaustive ignores them.
pub fn search_from(
    strategy: Strategy,
    space: &Space,
    measurer: &mut dyn Measurer,
    known: BTreeMap<usize, Measurement>,
    hints: &[usize],
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&BTreeMap<usize, Measurement>),
) -> Outcome {
    let mut results: BTreeMap<usize, Measurement> = known.into_iter().filter(|(i, _)| *i < space.len()).collect();
    let budget = strategy.budget(space.len());
    // Measures the indices not yet known, up to the budget; false when stopped.
    let mut measure = |measurer: &mut dyn Measurer, results: &mut BTreeMap<usize, Measurement>, wanted: &[usize]| -> bool {
        let fresh: Vec<usize> = wanted.iter().copied().filter(|i| !results.contains_key(i)).collect();
        for chunk in fresh.chunks(BATCH) {
            let room = budget.saturating_sub(results.len());
            let chunk = &chunk[..chunk.len().min(room)];
            if chunk.is_empty() {
                return true;
            }
            if stop() {
                return false;
            }
            let measured = measurer.measure_batch(chunk);
            for (&i, m) in chunk.iter().zip(measured) {
                results.insert(i, m);
            }
            progress(results);
        }
        true
    };
    let complete = match strategy {
        _ if space.is_empty() => true,
        Strategy::Exhaustive => {
            // Everything is compiled at once (every compile worker busy until the space is done),
            // then measured in batches that save progress.
            let all: Vec<usize> = (0..space.len()).filter(|i| !results.contains_key(i)).collect();
            measurer.prepare(&all);
            measure(measurer, &mut results, &all)
        }
        Strategy::Descent { .. } => 'search: {
            // Descents start from the hints, then the default, then the default with each other
            // value of each mode parameter, then (while the budget lasts) configurations not
            // measured yet, in a fixed scattered order: one descent from the default stays in the
            // default's basin, e.g. top-k's first strategy, where the best of another strategy
            // is 2.6x faster (docs/results/tune.md, session 4), or the attention families'
            // CUDA-core loop, whose best split is not the tensor-core loop's (session 10). The
            // default is always measured: it is the table's baseline.
            let n = space.len();
            let modes = space.mode_starts();
            let mut seeds: Vec<usize> = Vec::new();
            for &i in hints.iter().chain(&[0]).chain(&modes) {
                if i < n && !seeds.contains(&i) {
                    seeds.push(i);
                }
            }
            let mut prepared = BTreeSet::new();
            let room = |results: &BTreeMap<usize, Measurement>| budget.saturating_sub(results.len());
            // The starts, then what each one's first sweep reaches, are compiled ahead. (Handing
            // over the budget's nearest configurations at once compiled ~4x what a walking
            // descent measures, and those compiles took the cores its verifying needs.)
            let mut ahead: Vec<usize> = seeds.iter().copied().filter(|i| !results.contains_key(i) && prepared.insert(*i)).collect();
            for &seed in &seeds {
                let left = room(&results).saturating_sub(ahead.len());
                ahead.extend(lines_ahead(space, &results, &mut prepared, seed, 0, left));
            }
            measurer.prepare(&ahead);
            // The default and the mode starts are measured at once: when the budget ends before
            // a mode's descent, its start has been seen.
            if !measure(measurer, &mut results, &[&[0][..], &modes].concat()) {
                break 'search false;
            }
            // After the hints (a related winner may sit next to the best behind slower lines),
            // the default's and the modes' descents in order of their starts' times, fastest
            // first: the budget may end before the last one, and a path whose start already
            // beats the default (decode attention's TMA path at 128K) is where its winner most
            // likely is. From the default first, descent missed it (session 28's replay).
            let start_time = |i: &usize| time_of(&results, *i);
            let after_hints = seeds.iter().position(|i| !hints.contains(i)).unwrap_or(seeds.len());
            seeds[after_hints..].sort_by(|a, b| start_time(a).total_cmp(&start_time(b)));
            let mut seeds = seeds.into_iter();
            let mut scattered = scattered_order(n).into_iter();
            let mut restarts = 0;
            // Once every start has converged, one more descent from the fastest so far measures
            // whole lines (the walks stop at a line's first local best). Not where related
            // winners seeded it: replayed on 27 recorded landscapes, the polish then found no
            // better winner and took 2% of the measurements (session 32).
            let mut polished = !hints.is_empty();
            loop {
                if results.len() >= budget {
                    break 'search true;
                }
                let mut whole_lines = false;
                let next = match seeds.next() {
                    Some(seed) => Some(seed),
                    None if restarts < RESTARTS => {
                        restarts += 1;
                        scattered.find(|i| !results.contains_key(i))
                    }
                    None if !polished => {
                        (polished, whole_lines) = (true, true);
                        fastest(results.iter().map(|(i, m)| (*i, m)))
                    }
                    None => None,
                };
                let Some(mut current) = next else {
                    break 'search true;
                };
                if !measure(measurer, &mut results, &[current]) {
                    break 'search false;
                }
                let best_so_far = fastest(results.iter().map(|(i, m)| (*i, m))).map_or(f64::INFINITY, |b| time_of(&results, b));
                if !whole_lines && time_of(&results, current) > best_so_far * (1.0 + START_WINDOW) {
                    continue;
                }
                loop {
                    let mut moved = false;
                    measurer.prepare(&lines_ahead(space, &results, &mut prepared, current, 0, room(&results)));
                    for p in 0..space.params.len() {
                        let line = space.line(current, p);
                        // The step goes to the fastest seen on the line (not the choice rule's
                        // earliest within the noise window: steps of up to 3% each added up to
                        // 5-8% off the best, session 5).
                        let next = match space.sorted_line(&line, p).filter(|_| !whole_lines) {
                            // An ordered parameter: the values beside the current one, then on
                            // in the faster direction while each next value is faster still.
                            Some(sorted) => {
                                let at = sorted.iter().position(|&j| j == current).unwrap_or(0);
                                let beside: Vec<usize> = [at.checked_sub(1), Some(at + 1)].into_iter().flatten().filter_map(|k| sorted.get(k).copied()).collect();
                                for &b in &beside {
                                    measurer.prepare(&next_line_ahead(space, &results, &mut prepared, b, p, room(&results)));
                                }
                                if !measure(measurer, &mut results, &beside) {
                                    break 'search false;
                                }
                                let mut best = fastest([current].iter().chain(&beside).filter_map(|i| results.get(i).map(|m| (*i, m)))).unwrap_or(current);
                                let mut k = sorted.iter().position(|&j| j == best).unwrap_or(at);
                                let step: isize = if k > at { 1 } else { -1 };
                                while best != current && results.len() < budget {
                                    let Some(&next) = k.checked_add_signed(step).and_then(|n| sorted.get(n)) else { break };
                                    // The walk's value after this one, and the next line from this one.
                                    let after = k.checked_add_signed(2 * step).and_then(|n| sorted.get(n)).copied();
                                    measurer.prepare(&after.filter(|i| !results.contains_key(i) && prepared.insert(*i)).into_iter().collect::<Vec<_>>());
                                    measurer.prepare(&next_line_ahead(space, &results, &mut prepared, next, p, room(&results)));
                                    if !measure(measurer, &mut results, &[next]) {
                                        break 'search false;
                                    }
                                    if time_of(&results, next) >= time_of(&results, best) {
                                        break;
                                    }
                                    (k, best) = (k.wrapping_add_signed(step), next);
                                }
                                best
                            }
                            None => {
                                for &j in &line {
                                    measurer.prepare(&next_line_ahead(space, &results, &mut prepared, j, p, room(&results)));
                                }
                                if !measure(measurer, &mut results, &line) {
                                    break 'search false;
                                }
                                fastest(line.iter().filter_map(|i| results.get(i).map(|m| (*i, m)))).unwrap_or(current)
                            }
                        };
                        if next != current {
                            current = next;
                            moved = true;
                            measurer.prepare(&lines_ahead(space, &results, &mut prepared, current, p + 1, room(&results)));
                        }
                        if results.len() >= budget {
                            break 'search true;
                        }
                    }
                    if !moved {
                        break;
                    }
                }
            }
        }
    };
    if complete {
        let how = if strategy == Strategy::Exhaustive { CONFIRM_EXHAUSTIVE } else { CONFIRM_DESCENT };
        confirm(&mut results, measurer, stop, how);
    }
    let floor = if strategy == Strategy::Exhaustive { CHOICE_FLOOR } else { DESCENT_CHOICE_FLOOR };
    let winner = choose_within(results.iter().map(|(i, m)| (*i, m)), floor);
    Outcome { results, winner, complete }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(t: f64, spread: f64) -> Measurement {
        Measurement::Timed { median_us: t, spread_us: spread, min_us: t, max_us: t + spread, runs: 25 }
    }

    /// A landscape over (threads 2) × (split 6) × (unroll 4), like decode attention's; mostly
    /// separable with a mild interaction, the optimum away from the default.
    struct Landscape {
        space: Space,
        measured: Vec<usize>,
        /// What descent handed to `prepare`, in order.
        prepared: Vec<usize>,
        wrong: Vec<usize>,
        failed: Vec<usize>,
    }

    impl Landscape {
        fn new() -> Self {
            let mut coords = Vec::new();
            for t in 0..2 {
                for s in 0..6 {
                    for u in 0..4 {
                        coords.push(vec![t, s, u]);
                    }
                }
            }
            Landscape { space: Space { params: vec!["threads".into(), "split".into(), "unroll".into()], coords, modes: vec![], ordered: vec![] }, measured: vec![], prepared: vec![], wrong: vec![], failed: vec![] }
        }
        fn time(&self, i: usize) -> f64 {
            let c = &self.space.coords[i];
            let (t, s, u) = (c[0] as f64, c[1] as f64, c[2] as f64);
            100.0 + 8.0 * t + 3.0 * (s - 3.0).powi(2) + 5.0 * (u - 2.0).powi(2) + 0.5 * t * s
        }
    }

    impl Measurer for Landscape {
        fn measure(&mut self, i: usize) -> Measurement {
            self.measured.push(i);
            if self.wrong.contains(&i) {
                Measurement::Wrong { reason: "bad".into() }
            } else if self.failed.contains(&i) {
                Measurement::Failed { reason: "no compile".into() }
            } else {
                timed(self.time(i), 0.1)
            }
        }
        fn prepare(&mut self, indices: &[usize]) {
            self.prepared.extend(indices);
        }
    }

    /// Descent names its starts and their lines at once, then each sweep's lines ahead of
    /// measuring them (so a GPU measurer compiles them in the background), within the budget:
    /// everything it measures was prepared before, and it prepares no more than the budget
    /// allows.
    #[test]
    fn descent_prepares_its_lines_ahead() {
        let mut m = Landscape::new();
        let strategy = Strategy::Descent { fraction: 0.5, min: 4 };
        let out = run(strategy, &mut m);
        assert!(out.complete);
        assert!(!m.prepared.is_empty());
        for &i in &m.measured {
            assert!(m.prepared.contains(&i), "configuration {i} measured without being prepared");
        }
        // The default first, then its lines (one parameter apart: 1 + 5 + 3 of them), before
        // anything farther.
        let apart = |i: usize| m.space.coords[i].iter().zip(&m.space.coords[0]).filter(|(a, b)| a != b).count();
        let first: Vec<usize> = m.prepared[..10].iter().map(|&i| apart(i)).collect();
        assert_eq!(first, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        // Lines prepared through a configuration the walk then left are never measured: some
        // waste, bounded (each call stays within the budget left).
        let distinct: std::collections::BTreeSet<_> = m.prepared.iter().collect();
        assert_eq!(distinct.len(), m.prepared.len(), "nothing prepared twice");
        assert!(distinct.len() <= 2 * strategy.budget(48), "prepared {} for a budget of {}", distinct.len(), strategy.budget(48));
    }

    fn run(strategy: Strategy, m: &mut Landscape) -> Outcome {
        let space = m.space.clone();
        search(strategy, &space, m, BTreeMap::new(), &|| false, &mut |_| {})
    }

    #[test]
    fn exhaustive_finds_the_best() {
        let mut m = Landscape::new();
        let best = (0..m.space.len()).min_by(|a, b| m.time(*a).total_cmp(&m.time(*b))).unwrap();
        let out = run(Strategy::Exhaustive, &mut m);
        assert!(out.complete);
        assert_eq!(out.results.len(), 48);
        assert_eq!(m.prepared, (0..48).collect::<Vec<_>>(), "the whole space handed to the compiler at once");
        // The earliest declared configuration within the choice window of the best.
        let window = m.time(best) * (1.0 + CHOICE_FLOOR);
        let earliest = (0..m.space.len()).find(|&i| m.time(i) <= window);
        assert_eq!(out.winner, earliest);
        let distinct: std::collections::BTreeSet<_> = m.measured.iter().collect();
        assert_eq!(distinct.len(), 48, "each configuration measured");
        assert!(m.measured.len() <= 48 + CONFIRM_EXHAUSTIVE.max * CONFIRM_EXHAUSTIVE.rounds, "and the near-best ones again");
    }

    /// A configuration whose first timing came out high by chance wins once the near-best are
    /// timed again.
    #[test]
    fn confirmation_undoes_an_unlucky_first_timing() {
        struct Noisy(Vec<usize>);
        impl Measurer for Noisy {
            fn measure(&mut self, i: usize) -> Measurement {
                let first = !self.0.contains(&i);
                self.0.push(i);
                let t = match i {
                    0 => 120.0,
                    1 if first => 108.0, // truly 100, measured high once
                    1 => 100.0,
                    2 => 99.5,
                    _ => 150.0,
                };
                timed(t, 0.1)
            }
        }
        let space = Space { params: vec!["p".into()], coords: (0..4).map(|i| vec![i]).collect(), modes: vec![], ordered: vec![] };
        let out = search(Strategy::Exhaustive, &space, &mut Noisy(Vec::new()), BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.winner, Some(1), "1 is within 3% of 2 and declared earlier");
    }

    /// Where the best's own timings move by more than 3% between the interleaved rounds, the
    /// window widens to that range: an earlier configuration inside it wins.
    #[test]
    fn the_rounds_noise_widens_the_window() {
        struct Wobbly(usize);
        impl Measurer for Wobbly {
            fn measure(&mut self, i: usize) -> Measurement {
                self.0 += 1;
                let wobble = [0.0, 5.0, -1.0][self.0 % 3];
                let t = match i {
                    0 => 104.0, // 4% behind the best's median, inside its 6% range
                    1 => 100.0 + wobble,
                    _ => 150.0,
                };
                timed(t, 0.1)
            }
        }
        let space = Space { params: vec!["p".into()], coords: (0..3).map(|i| vec![i]).collect(), modes: vec![], ordered: vec![] };
        let out = search(Strategy::Exhaustive, &space, &mut Wobbly(0), BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.winner, Some(0));
        let (median, spread) = out.results[&1].timed().unwrap();
        assert!(median >= 99.0 && spread >= 5.0, "median {median}, spread {spread}: the rounds' range");
    }

    /// Parameters of numbers are ordered by value (their ranks, by position of first
    /// appearance); a mode, or one with any other value, is not.
    #[test]
    fn numbers_are_ordered_and_modes_are_not() {
        let configs: Vec<Value> = [(4, "x", 1), (1, "y", 0), (2, "x", 1)].iter().map(|(a, b, m)| serde_json::json!({"a": a, "b": b, "m": m})).collect();
        let space = Space::from_json(&["a", "b", "m"], &configs);
        assert_eq!(space.ordered, vec![Some(vec![2, 0, 1]), None, Some(vec![1, 0])]);
        let space = space.with_modes(&["m"]);
        assert_eq!(space.ordered[2], None);
        assert_eq!(space.sorted_line(&[0, 1, 2], 0), Some(vec![1, 2, 0]));
        assert_eq!(space.sorted_line(&[0, 2], 1), None);
    }

    /// One parameter of eight numbers; `times[i]` for value i (index = value).
    struct Table {
        times: Vec<f64>,
        measured: Vec<usize>,
    }

    impl Measurer for Table {
        fn measure(&mut self, i: usize) -> Measurement {
            self.measured.push(i);
            timed(self.times[i], 0.1)
        }
    }

    fn walked(n: usize) -> Space {
        Space { params: vec!["split".into()], coords: (0..n).map(|i| vec![i]).collect(), modes: vec![], ordered: vec![Some((0..n).collect())] }
    }

    /// On a line whose times fall to one best and rise after it, the walk goes from the default
    /// (here the fifth value of eight) to that best, measuring one value past it: five
    /// measurements, where the first five of the whole line (in declaration order) miss it.
    #[test]
    fn a_walk_stops_one_value_past_the_best() {
        // Index i has the value of rank ranks[i]; times by index.
        let ranks = vec![4, 0, 1, 2, 3, 5, 6, 7];
        let times = vec![100.0, 120.0, 115.0, 110.0, 105.0, 95.0, 90.0, 92.0];
        let space = Space { ordered: vec![Some(ranks)], ..walked(8) };
        let mut m = Table { times, measured: Vec::new() };
        let out = search(Strategy::Descent { fraction: 0.625, min: 1 }, &space, &mut m, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.winner, Some(6));
        let distinct: BTreeSet<usize> = m.measured.iter().copied().collect();
        assert_eq!(distinct, BTreeSet::from([0, 4, 5, 6, 7]), "the two beside the default, then on while faster");
    }

    /// A walk stops at a line's first local best; once the starts have converged, the descent
    /// from the fastest so far tries every value and finds the better one beyond.
    #[test]
    fn the_last_descent_tries_every_value() {
        let times = vec![130.0, 120.0, 110.0, 125.0, 125.0, 125.0, 90.0, 126.0];
        let mut m = Table { times, measured: Vec::new() };
        let out = search(Strategy::Descent { fraction: 1.0, min: 1 }, &walked(8), &mut m, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.winner, Some(6));
        let distinct: BTreeSet<usize> = m.measured.iter().copied().collect();
        assert_eq!(distinct.len(), 8);
    }

    /// Compiled ahead: the whole space for exhaustive; for descent the default and its lines,
    /// which its search measures first until it moves (here: the default, the `threads` line,
    /// the `split` line; then it moves to the best split).
    #[test]
    fn first_measured_is_what_the_search_measures_first() {
        let m = Landscape::new();
        assert_eq!(Strategy::Exhaustive.first_measured(&m.space), (0..48).collect::<Vec<_>>());
        let strategy = Strategy::Descent { fraction: 0.5, min: 4 };
        let first = strategy.first_measured(&m.space);
        let apart = |i: usize| m.space.coords[i].iter().zip(&m.space.coords[0]).filter(|(a, b)| a != b).count();
        assert_eq!(first.iter().map(|&i| apart(i)).collect::<Vec<_>>(), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1], "the default and its lines: 1 + 1 + 5 + 3");
        let mut walked = Landscape::new();
        run(strategy, &mut walked);
        assert!(walked.measured[..7].iter().all(|i| first.contains(i)), "measured first: {:?}, compiled ahead: {first:?}", &walked.measured[..7]);
    }

    #[test]
    fn descent_measures_a_quarter_and_lands_within_3_percent() {
        let mut exhaustive = Landscape::new();
        let best = run(Strategy::Exhaustive, &mut exhaustive).winner.unwrap();
        let mut m = Landscape::new();
        let out = run(Strategy::Descent { fraction: 0.25, min: SMALL_SPACE }, &mut m);
        assert!(out.complete);
        // The budget counts configurations; the confirmation times a few of them again.
        let distinct: std::collections::BTreeSet<_> = m.measured.iter().collect();
        assert!(distinct.len() * 4 <= m.space.len(), "measured {} of {}", distinct.len(), m.space.len());
        assert!(m.measured.len() <= distinct.len() + CONFIRM_DESCENT.max * CONFIRM_DESCENT.rounds);
        let got = m.time(out.winner.unwrap());
        assert!(got <= 1.03 * m.time(best), "descent {got}, exhaustive {}", m.time(best));
    }

    /// The default's basin is a trap: the fast region (third strategy, a >= 4) is not on any
    /// line through it. The restarts of descent find it within a quarter of the space.
    #[test]
    fn descent_restarts_leave_the_defaults_basin() {
        struct Basins(usize);
        impl Measurer for Basins {
            fn measure(&mut self, i: usize) -> Measurement {
                self.0 += 1;
                let (strategy, a, b) = (i / 32, (i / 4) % 8, i % 4);
                let t = match strategy {
                    2 if a >= 4 => 40.0 + 5.0 * (a as f64 - 6.0).abs() + 3.0 * (b as f64 - 1.0).abs(),
                    2 => 200.0,
                    _ => 100.0 + 5.0 * a as f64 + 3.0 * b as f64,
                };
                timed(t, 0.1)
            }
        }
        let coords = (0..96).map(|i| vec![i / 32, (i / 4) % 8, i % 4]).collect();
        let space = Space { params: vec!["strategy".into(), "a".into(), "b".into()], coords, modes: vec![], ordered: vec![] };
        let mut m = Basins(0);
        let out = search(Strategy::Descent { fraction: 0.25, min: SMALL_SPACE }, &space, &mut m, BTreeMap::new(), &|| false, &mut |_| {});
        assert!(m.0 <= 24 + CONFIRM_DESCENT.max * CONFIRM_DESCENT.rounds, "measured {}", m.0);
        assert_eq!(out.winner, Some(2 * 32 + 6 * 4 + 1), "the fast basin's best");
    }

    /// Two code paths (a mode parameter) whose best splits differ: from the default (split 0,
    /// path 0) the split line leads to path 0's best, and path 1 at that split is slow, so one
    /// descent never sees path 1's best. Declared a mode, path 1 gets a start of its own.
    #[test]
    fn a_mode_parameter_gets_a_start_of_its_own() {
        struct Paths;
        impl Measurer for Paths {
            fn measure(&mut self, i: usize) -> Measurement {
                let (split, path) = (i / 2, i % 2);
                timed(if path == 0 { 20.0 - split as f64 } else { 5.0 + 10.0 * split as f64 }, 0.1)
            }
        }
        let coords: Vec<Vec<usize>> = (0..12).map(|i| vec![i / 2, i % 2]).collect();
        let plain = Space { params: vec!["split".into(), "path".into()], coords, modes: vec![], ordered: vec![] };
        let moded = plain.clone().with_modes(&["path"]);
        assert_eq!(moded.modes, [1]);
        assert_eq!(moded.mode_starts(), [1], "the default with the other path");
        // Budget: 7 of 12, all of it the default's descent (its split line, then the path line
        // at split 5), so no restart is left.
        let descent = Strategy::Descent { fraction: 0.55, min: 1 };
        assert_eq!(descent.budget(12), 7);
        let trapped = search(descent, &plain, &mut Paths, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(trapped.winner, Some(10), "path 0's best, split 5");
        let found = search(descent, &moded, &mut Paths, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(found.winner, Some(1), "path 1's best, split 0");
    }

    /// The other path's start is already faster than the default, and the budget holds one
    /// descent: it is that path's (session 28: decode attention's TMA path at 128K).
    #[test]
    fn the_faster_start_descends_first() {
        struct Paths;
        impl Measurer for Paths {
            fn measure(&mut self, i: usize) -> Measurement {
                let (split, path) = ((i / 2) as f64, i % 2);
                timed(if path == 0 { 20.0 - split } else { 10.0 - split.min(3.0) + 2.0 * (split - 3.0).max(0.0) }, 0.1)
            }
        }
        let coords: Vec<Vec<usize>> = (0..12).map(|i| vec![i / 2, i % 2]).collect();
        let space = Space { params: vec!["split".into(), "path".into()], coords, modes: vec![], ordered: vec![] }.with_modes(&["path"]);
        // Budget 7: both starts, then one split line of 5 more.
        let descent = Strategy::Descent { fraction: 0.55, min: 1 };
        let found = search(descent, &space, &mut Paths, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(found.winner, Some(2 * 3 + 1), "path 1's best, split 3 (the default's descent would end at path 1's start)");
    }

    #[test]
    fn ties_go_to_the_earliest_declared() {
        let r = [(5, timed(10.0, 0.0)), (2, timed(10.0, 0.0)), (7, timed(9.99, 0.0)), (1, timed(10.5, 0.0))];
        assert_eq!(choose(r.iter().map(|(i, m)| (*i, m))), Some(2), "within the window of the best: the earliest");
        // A wide spread of the best widens the window.
        let r = [(3, timed(10.0, 1.0)), (1, timed(10.9, 0.0)), (0, timed(11.5, 0.0))];
        assert_eq!(choose(r.iter().map(|(i, m)| (*i, m))), Some(1));
    }

    #[test]
    fn descent_chooses_within_three_percent_of_its_best() {
        // Index 0 is 3.5% off the best: inside the exhaustive window (4%), outside descent's.
        let times = vec![10.35, 10.0, 10.2, 15.0];
        let space = Space { params: vec!["threads".into()], coords: (0..4).map(|i| vec![i]).collect(), modes: vec![], ordered: vec![] };
        let exhaustive = search(Strategy::Exhaustive, &space, &mut Table { times: times.clone(), measured: vec![] }, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(exhaustive.winner, Some(0));
        let descent = search(Strategy::Descent { fraction: 1.0, min: SMALL_SPACE }, &space, &mut Table { times, measured: vec![] }, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(descent.results.len(), 4);
        assert_eq!(descent.winner, Some(1), "the earliest within 3% of the best");
    }

    #[test]
    fn descent_does_not_walk_from_a_slow_start() {
        // (path, x): path 0 is best at x = 2 (10.0); path 1's start (x = 0) is 17.0, 70% slower,
        // and its own best (x = 4) is 13.0.
        let coords: Vec<Vec<usize>> = (0..12).map(|i| vec![i / 6, i % 6]).collect();
        let times: Vec<f64> = coords.iter().map(|c| if c[0] == 0 { 10.0 + (c[1] as f64 - 2.0).abs() } else { 13.0 + (c[1] as f64 - 4.0).abs() }).collect();
        let mut space = Space::from_json(&["path", "x"], &coords.iter().map(|c| serde_json::json!({"path": c[0], "x": c[1]})).collect::<Vec<_>>()).with_modes(&["path"]);
        space.ordered[1] = Some((0..6).collect());
        let mut table = Table { times, measured: vec![] };
        let out = search(Strategy::Descent { fraction: 1.0, min: SMALL_SPACE }, &space, &mut table, BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.winner, Some(2));
        let path1: BTreeSet<usize> = table.measured.iter().copied().filter(|&i| i >= 6).collect();
        // Its start, and the polish's line from the best (path 1 at x = 2); no walk along x.
        assert_eq!(path1, BTreeSet::from([6, 8]), "measured {:?}", table.measured);
    }

    #[test]
    fn wrong_and_failed_never_win() {
        let mut m = Landscape::new();
        let best = (0..m.space.len()).min_by(|a, b| m.time(*a).total_cmp(&m.time(*b))).unwrap();
        m.wrong.push(best);
        m.failed.push(0);
        let out = run(Strategy::Exhaustive, &mut m);
        assert_ne!(out.winner, Some(best));
        assert_ne!(out.winner, Some(0));
        assert!(out.winner.is_some());
        let all_bad = [(0, Measurement::Wrong { reason: "x".into() }), (1, Measurement::Failed { reason: "y".into() })];
        assert_eq!(choose(all_bad.iter().map(|(i, m)| (*i, m))), None);
    }

    #[test]
    fn known_results_are_not_measured_again() {
        let mut first = Landscape::new();
        let stop_after = std::cell::Cell::new(0);
        let space = first.space.clone();
        let out = search(Strategy::Exhaustive, &space, &mut first, BTreeMap::new(), &|| { stop_after.set(stop_after.get() + 1); stop_after.get() > 2 }, &mut |_| {});
        assert!(!out.complete);
        assert_eq!(out.results.len(), 2 * BATCH);
        let mut second = Landscape::new();
        let out2 = search(Strategy::Exhaustive, &space, &mut second, out.results.clone(), &|| false, &mut |_| {});
        assert!(out2.complete);
        // The search measures only what was missing; then the near-best are timed again.
        let searched = &second.measured[..48 - 2 * BATCH];
        assert!(searched.iter().all(|i| !out.results.contains_key(i)));
        assert!(second.measured.len() <= 48 - 2 * BATCH + CONFIRM_EXHAUSTIVE.max * CONFIRM_EXHAUSTIVE.rounds);
        let mut fresh = Landscape::new();
        assert_eq!(out2.winner, run(Strategy::Exhaustive, &mut fresh).winner);
    }

    #[test]
    fn small_spaces_are_measured_whole_and_descent_is_deterministic() {
        let space = Space { params: vec!["threads".into()], coords: vec![vec![0], vec![1], vec![2]], modes: vec![], ordered: vec![] };
        assert_eq!(Strategy::Descent { fraction: 0.2, min: SMALL_SPACE }.budget(3), 3);
        struct Flat(Vec<usize>);
        impl Measurer for Flat {
            fn measure(&mut self, i: usize) -> Measurement {
                self.0.push(i);
                timed([5.0, 4.0, 4.01][i], 0.0)
            }
        }
        let out = search(Strategy::Descent { fraction: 0.2, min: SMALL_SPACE }, &space, &mut Flat(vec![]), BTreeMap::new(), &|| false, &mut |_| {});
        assert_eq!(out.results.len(), 3);
        assert_eq!(out.winner, Some(1));
        let mut a = Landscape::new();
        let mut b = Landscape::new();
        assert_eq!(run(Strategy::Descent { fraction: 0.2, min: SMALL_SPACE }, &mut a), run(Strategy::Descent { fraction: 0.2, min: SMALL_SPACE }, &mut b));
    }

    #[test]
    fn space_from_json_lines() {
        let configs: Vec<Value> = [(256, 1024), (256, 256), (128, 1024), (128, 256)]
            .iter()
            .map(|(t, s)| serde_json::json!({"threads": t, "split_tokens": s}))
            .collect();
        let space = Space::from_json(&["threads", "split_tokens"], &configs);
        assert_eq!(space.coords, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
        assert_eq!(space.line(0, 0), vec![0, 2]);
        assert_eq!(space.line(3, 1), vec![2, 3]);
    }

    /// `fill` 1 holds only at split 1024 (as in the gather family): from split 256 its line still
    /// reaches it, one more parameter away; values a plain line holds get no detour.
    #[test]
    fn a_line_reaches_values_a_constraint_ties_to_another_parameter() {
        let configs: Vec<Value> = [(1024, 0), (256, 0), (4096, 0), (1024, 1)]
            .iter()
            .map(|(s, f)| serde_json::json!({"split_tokens": s, "fill": f}))
            .collect();
        let space = Space::from_json(&["split_tokens", "fill"], &configs);
        assert_eq!(space.line(1, 1), vec![1, 3], "fill 1 at split 1024, from split 256");
        assert_eq!(space.line(0, 1), vec![0, 3], "at split 1024 the plain line");
        assert_eq!(space.line(1, 0), vec![0, 1, 2], "every split has fill 0: no detour");
    }
}
