//! StreamingLLM: the first `sink` tokens (attention sinks) plus the last `recent` tokens, in every layer.

use super::{AttentionPolicy, HeadCtx, KeyValues};
use crate::attention::Selection;
use crate::error::Result;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamingParams {
    /// Leading tokens always kept (default 4).
    pub sink: usize,
    /// Trailing window, current token included (default 4092: 4096 tokens in all).
    pub recent: usize,
}

impl StreamingParams {
    pub fn from_kv(kv: &KeyValues) -> Result<Self> {
        kv.check_keys(&["sink", "recent"])?;
        Ok(Self {
            sink: kv.usize("sink", 4, 0)?,
            recent: kv.usize("recent", 4092, 1)?,
        })
    }
}

/// Positions `[0, sink) ∪ [ctx_len − recent, ctx_len)`, ascending.
pub fn sink_and_recent(sink: usize, recent: usize, ctx_len: usize) -> Selection {
    let start = ctx_len.saturating_sub(recent);
    if sink >= start {
        return Selection::Dense;
    }
    Selection::Positions((0..sink).chain(start..ctx_len).collect())
}

pub struct Streaming {
    p: StreamingParams,
}

impl Streaming {
    pub fn new(p: StreamingParams) -> Self {
        Self { p }
    }
}

impl AttentionPolicy for Streaming {
    fn name(&self) -> &'static str {
        "streaming"
    }
    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        Ok(sink_and_recent(self.p.sink, self.p.recent, h.ctx_len))
    }
}
