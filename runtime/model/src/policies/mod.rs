//! Sparse attention policies: at each decode step, per (layer, KV head), which cached positions to read.
//!
//! A policy is parsed from `NAME[:key=value,...]` ([`PolicySpec::parse`]) and built against a model
//! config ([`PolicySpec::build`]). The forward pass asks [`AttentionPolicy::select`] once per (layer, KV
//! head) per decode step, layers in order, heads in order; all query heads of the GQA group read the same
//! positions. Prefill and speculative verification are always dense.

pub mod coverage;
mod full;
pub mod head_choice;
mod lfps;
mod lychee;
mod params;
mod quest;
mod record;
mod specattn;
mod streaming;
mod tidal;

pub use coverage::{profile_prompt, CoverageProfile, CoverageProfiler};
pub use full::Full;
pub use head_choice::{check_fraction, choose_heads, retrieval_count, HeadChoice, Pick};
pub use lfps::{Lfps, LfpsParams};
pub use lychee::{block_max, HeadMap, Lychee, LycheeParams};
pub use params::KeyValues;
pub use quest::{Quest, QuestParams};
pub use record::{Recorded, Recorder};
pub use specattn::{spec_budget, DraftMode, SpecAttnParams, SpecDraft};
pub use streaming::{sink_and_recent, Streaming, StreamingParams};
pub use tidal::{Tidal, TidalParams};

pub use crate::attention::Selection;
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::ops::dot;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a policy sees for one (layer, KV head) at a decode step.
pub struct HeadCtx<'a> {
    pub layer: usize,
    pub kv_head: usize,
    /// Cached positions, the current token's included (it is appended before attention).
    pub ctx_len: usize,
    /// `[group, head_dim]`: the post-RoPE queries of the query heads sharing this KV head.
    pub queries: ArrayView2<'a, f32>,
    /// `[ctx_len, head_dim]`: post-RoPE keys.
    pub keys: ArrayView2<'a, f32>,
}

impl HeadCtx<'_> {
    /// The group-mean query q̄ (sum in head order, then divided by the group size).
    pub fn mean_query(&self) -> Vec<f32> {
        let (g, hd) = self.queries.dim();
        let mut m = vec![0f32; hd];
        for row in self.queries.rows() {
            for (a, b) in m.iter_mut().zip(row.iter()) {
                *a += b;
            }
        }
        let inv = 1.0 / g.max(1) as f32;
        m.iter_mut().for_each(|x| *x *= inv);
        m
    }

    fn key(&self, p: usize) -> &[f32] {
        let hd = self.keys.ncols();
        // keys come from a standard-layout cache slice, so rows are contiguous
        self.keys
            .as_slice()
            .map_or(&[][..], |s| &s[p * hd..(p + 1) * hd])
    }

    /// `q̄ · k_p` for every position (unscaled logits of the group-mean query).
    pub fn mean_query_scores(&self) -> Vec<f32> {
        let q = self.mean_query();
        (0..self.ctx_len).map(|p| dot(&q, self.key(p))).collect()
    }

    /// `q̄ · k_p` at the given positions only, in a full-length vector (others −∞).
    pub fn mean_query_scores_at(&self, positions: &[usize]) -> Vec<f32> {
        let q = self.mean_query();
        let mut s = vec![f32::NEG_INFINITY; self.ctx_len];
        for &p in positions {
            s[p] = dot(&q, self.key(p));
        }
        s
    }
}

/// Per-step statistics a policy reports beyond the KV entries read (which the forward pass counts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyStepStats {
    /// LFPS: fraction of the exact top-k found among the candidates, averaged over sparse heads.
    pub recall: Option<f64>,
}

pub trait AttentionPolicy: Send {
    fn name(&self) -> &'static str;
    /// Before the first layer of a decode step whose context (current token included) is `ctx_len`.
    fn begin_step(&mut self, _ctx_len: usize) {}
    /// Positions read by every query head of `h.kv_head` at `h.layer`.
    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection>;
    /// After the last layer of the step.
    fn end_step(&mut self) -> PolicyStepStats {
        PolicyStepStats::default()
    }
}

/// A parsed policy with all its parameters (defaults filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "lowercase")]
pub enum PolicySpec {
    Full,
    Lychee(LycheeParams),
    Tidal(TidalParams),
    Quest(QuestParams),
    Lfps(LfpsParams),
    Streaming(StreamingParams),
    SpecAttn(SpecAttnParams),
}

/// Policy names accepted by [`PolicySpec::parse`].
pub const POLICY_NAMES: [&str; 7] = [
    "full",
    "lychee",
    "tidal",
    "quest",
    "lfps",
    "streaming",
    "specattn",
];

impl PolicySpec {
    /// Parses `NAME[:key=value,...]`, e.g. `lychee:budget=1024,heads=map.json` or `specattn:draft=streaming`.
    pub fn parse(spec: &str) -> Result<Self> {
        let spec = spec.trim();
        let (name, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let kv = KeyValues::parse(name, rest)?;
        match name {
            "full" => {
                kv.check_keys(&[])?;
                Ok(PolicySpec::Full)
            }
            "lychee" => Ok(PolicySpec::Lychee(LycheeParams::from_kv(&kv)?)),
            "tidal" => Ok(PolicySpec::Tidal(TidalParams::from_kv(&kv)?)),
            "quest" => Ok(PolicySpec::Quest(QuestParams::from_kv(&kv)?)),
            "lfps" => Ok(PolicySpec::Lfps(LfpsParams::from_kv(&kv)?)),
            "streaming" => Ok(PolicySpec::Streaming(StreamingParams::from_kv(&kv)?)),
            "specattn" => Ok(PolicySpec::SpecAttn(SpecAttnParams::from_kv(&kv)?)),
            _ => Err(ModelError::UnknownPolicy(
                name.into(),
                POLICY_NAMES.join(", "),
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            PolicySpec::Full => "full",
            PolicySpec::Lychee(_) => "lychee",
            PolicySpec::Tidal(_) => "tidal",
            PolicySpec::Quest(_) => "quest",
            PolicySpec::Lfps(_) => "lfps",
            PolicySpec::Streaming(_) => "streaming",
            PolicySpec::SpecAttn(_) => "specattn",
        }
    }

    /// The per-step policy. `specattn` is a decoding loop rather than a per-step policy: this returns its
    /// draft policy before any verification (a streaming window); [`crate::generate::generate`] drives it properly.
    pub fn build(&self, cfg: &ModelConfig) -> Result<Box<dyn AttentionPolicy>> {
        Ok(match self {
            PolicySpec::Full => Box::new(Full),
            PolicySpec::Lychee(p) => Box::new(Lychee::new(p.clone(), cfg)?),
            PolicySpec::Tidal(p) => Box::new(Tidal::new(p.clone(), cfg)?),
            PolicySpec::Quest(p) => Box::new(Quest::new(p.clone(), cfg)?),
            PolicySpec::Lfps(p) => Box::new(Lfps::new(p.clone(), cfg)?),
            PolicySpec::Streaming(p) => Box::new(Streaming::new(p.clone())),
            PolicySpec::SpecAttn(p) => Box::new(SpecDraft::new(p.clone(), cfg)),
        })
    }
}

impl std::str::FromStr for PolicySpec {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for PolicySpec {
    /// The canonical spec string with every parameter spelled out; parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySpec::Full => write!(f, "full"),
            PolicySpec::Lychee(p) => {
                write!(
                    f,
                    "lychee:budget={},block={},sink={},recent={},correct={}",
                    p.budget, p.block, p.sink, p.recent, p.correct
                )?;
                if let Some(h) = &p.heads {
                    write!(f, ",heads={h}")?;
                }
                Ok(())
            }
            PolicySpec::Tidal(p) => {
                write!(f, "tidal:budget={}", p.budget)?;
                if let Some(l) = &p.layers {
                    let l: Vec<String> = l.iter().map(|x| x.to_string()).collect();
                    write!(f, ",layers={}", l.join("+"))?;
                }
                Ok(())
            }
            PolicySpec::Quest(p) => write!(
                f,
                "quest:budget={},page={},dense_layers={}",
                p.budget, p.page, p.dense_layers
            ),
            PolicySpec::Lfps(p) => {
                write!(
                    f,
                    "lfps:budget={},w={},refresh={},dense_layers={}",
                    p.budget, p.w, p.refresh, p.dense_layers
                )
            }
            PolicySpec::Streaming(p) => write!(f, "streaming:sink={},recent={}", p.sink, p.recent),
            PolicySpec::SpecAttn(p) => write!(
                f,
                "specattn:gamma={},ratio={},min={},draft={},sink={}",
                p.gamma,
                p.ratio,
                p.min,
                match p.draft {
                    DraftMode::Verify => "verify",
                    DraftMode::Streaming => "streaming",
                },
                p.sink
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_defaults_and_roundtrip() {
        for s in [
            "full",
            "lychee",
            "lychee:budget=1024,block=32,correct=32",
            "tidal:budget=512,layers=2+13",
            "quest:page=8",
            "lfps:w=1,refresh=4",
            "streaming:sink=4,recent=60",
            "specattn:draft=streaming,gamma=3",
            "specattn:ratio=0.1,min=16",
        ] {
            let p = PolicySpec::parse(s).unwrap();
            let again = PolicySpec::parse(&p.to_string()).unwrap();
            assert_eq!(p, again, "{s}");
        }
        match PolicySpec::parse("lychee").unwrap() {
            PolicySpec::Lychee(p) => assert_eq!(
                (p.budget, p.block, p.sink, p.recent, p.correct),
                (4096, 64, 128, 256, 0)
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let e = PolicySpec::parse("nope").unwrap_err().to_string();
        assert!(
            e.contains("nope") && e.contains("lychee") && e.contains("specattn"),
            "{e}"
        );
        let e = PolicySpec::parse("quest:pages=3").unwrap_err().to_string();
        assert!(e.contains("pages") && e.contains("page"), "{e}");
        let e = PolicySpec::parse("lychee:budget=abc")
            .unwrap_err()
            .to_string();
        assert!(e.contains("budget") && e.contains("abc"), "{e}");
        let e = PolicySpec::parse("lychee:block=0").unwrap_err().to_string();
        assert!(e.contains("block"), "{e}");
        let e = PolicySpec::parse("specattn:draft=magic")
            .unwrap_err()
            .to_string();
        assert!(e.contains("draft") && e.contains("magic"), "{e}");
        let e = PolicySpec::parse("full:budget=3").unwrap_err().to_string();
        assert!(e.contains("budget"), "{e}");
        let e = PolicySpec::parse("streaming:sink").unwrap_err().to_string();
        assert!(e.contains("sink"), "{e}");
        let e = PolicySpec::parse("streaming:sink=1,sink=2")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sink"), "{e}");
    }
}
