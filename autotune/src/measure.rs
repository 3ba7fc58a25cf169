//! What measuring one configuration yields, and the measurer the strategies drive.

use serde::{Deserialize, Serialize};

/// The outcome of measuring one configuration. Only `Timed` configurations can win.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Measurement {
    /// Did not compile, broke a resource limit, or failed to launch: infinitely slow.
    Failed { reason: String },
    /// Ran but disagreed with the reference: never chosen, reported loudly.
    Wrong { reason: String },
    /// Verified, then timed: the median of `runs` runs and their spread (interquartile range).
    Timed { median_us: f64, spread_us: f64, min_us: f64, max_us: f64, runs: usize },
}

impl Measurement {
    /// Summarises individually timed runs (microseconds). No samples: `Failed`.
    pub fn from_samples(samples: &[f64]) -> Measurement {
        let mut s: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        if s.is_empty() {
            return Measurement::Failed { reason: "no timed runs".into() };
        }
        s.sort_by(f64::total_cmp);
        let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
        Measurement::Timed { median_us: at(0.5), spread_us: at(0.75) - at(0.25), min_us: s[0], max_us: s[s.len() - 1], runs: s.len() }
    }

    /// (median, spread) of a timed configuration.
    /// Several measurements of one configuration as one: any failure or wrong answer wins;
    /// else the median of the medians, as spread the widest interquartile range or the range
    /// of the medians (whichever is larger), and every run.
    pub fn combine(ms: &[Measurement]) -> Measurement {
        if let Some(bad) = ms.iter().find(|m| !matches!(m, Measurement::Timed { .. })) {
            return bad.clone();
        }
        let mut medians: Vec<f64> = ms.iter().filter_map(|m| m.timed().map(|(t, _)| t)).collect();
        if medians.is_empty() {
            return Measurement::Failed { reason: "no timings".into() };
        }
        medians.sort_by(f64::total_cmp);
        let (mut spread, mut lo, mut hi, mut runs) = (0f64, f64::INFINITY, 0f64, 0);
        for m in ms {
            if let Measurement::Timed { spread_us, min_us, max_us, runs: r, .. } = m {
                spread = spread.max(*spread_us);
                lo = lo.min(*min_us);
                hi = hi.max(*max_us);
                runs += r;
            }
        }
        // The medians' own range is the moment-to-moment noise of the run (clocks, the rest of
        // the machine), often wider than one timing's interquartile range: it is spread too.
        let range = medians[medians.len() - 1] - medians[0];
        Measurement::Timed { median_us: medians[medians.len() / 2], spread_us: spread.max(range), min_us: lo, max_us: hi, runs }
    }

    pub fn timed(&self) -> Option<(f64, f64)> {
        match self {
            Measurement::Timed { median_us, spread_us, .. } => Some((*median_us, *spread_us)),
            _ => None,
        }
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, Measurement::Failed { .. })
    }

    pub fn is_wrong(&self) -> bool {
        matches!(self, Measurement::Wrong { .. })
    }
}

/// Measures configurations by their index in the family's valid space (declaration order).
pub trait Measurer {
    fn measure(&mut self, index: usize) -> Measurement;

    /// Measures several at once (a GPU measurer compiles them in parallel first). The default
    /// measures them one by one. Returns one measurement per index, in order.
    fn measure_batch(&mut self, indices: &[usize]) -> Vec<Measurement> {
        indices.iter().map(|&i| self.measure(i)).collect()
    }
    /// These configurations are likely to be measured soon: a GPU measurer compiles them now,
    /// together. Measures nothing; the default ignores it.
    fn prepare(&mut self, _indices: &[usize]) {}
    /// Times again configurations this search has verified and timed (the choice's
    /// confirmation): a GPU measurer does not verify them again on the same inputs. The default
    /// measures them.
    fn retime(&mut self, indices: &[usize]) -> Vec<Measurement> {
        self.measure_batch(indices)
    }
}

impl<M: Measurer + ?Sized> Measurer for &mut M {
    fn measure(&mut self, index: usize) -> Measurement {
        (**self).measure(index)
    }
    fn measure_batch(&mut self, indices: &[usize]) -> Vec<Measurement> {
        (**self).measure_batch(indices)
    }
    fn prepare(&mut self, indices: &[usize]) {
        (**self).prepare(indices)
    }
    fn retime(&mut self, indices: &[usize]) -> Vec<Measurement> {
        (**self).retime(indices)
    }
}
