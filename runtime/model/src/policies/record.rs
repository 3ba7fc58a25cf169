//! A wrapper that records every selection of another policy, so a GPU run can be compared with the
//! reference decision by decision, not only through the logits.

use super::{AttentionPolicy, HeadCtx, PolicyStepStats};
use crate::attention::Selection;
use crate::error::Result;

/// One decision: at decode step `step`, `(layer, kv_head)` read `selection`.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub step: usize,
    pub layer: usize,
    pub kv_head: usize,
    pub ctx_len: usize,
    pub selection: Selection,
}

pub struct Recorder<P: AttentionPolicy> {
    pub inner: P,
    pub log: Vec<Recorded>,
    step: usize,
}

impl<P: AttentionPolicy> Recorder<P> {
    pub fn new(inner: P) -> Self {
        Self {
            inner,
            log: Vec::new(),
            step: 0,
        }
    }
}

impl<P: AttentionPolicy> AttentionPolicy for Recorder<P> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn begin_step(&mut self, ctx_len: usize) {
        self.inner.begin_step(ctx_len)
    }
    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        let selection = self.inner.select(h)?;
        self.log.push(Recorded {
            step: self.step,
            layer: h.layer,
            kv_head: h.kv_head,
            ctx_len: h.ctx_len,
            selection: selection.clone(),
        });
        Ok(selection)
    }
    fn end_step(&mut self) -> PolicyStepStats {
        self.step += 1;
        self.inner.end_step()
    }
}

impl AttentionPolicy for Box<dyn AttentionPolicy> {
    fn name(&self) -> &'static str {
        self.as_ref().name()
    }
    fn begin_step(&mut self, ctx_len: usize) {
        self.as_mut().begin_step(ctx_len)
    }
    fn select(&mut self, h: &HeadCtx<'_>) -> Result<Selection> {
        self.as_mut().select(h)
    }
    fn end_step(&mut self) -> PolicyStepStats {
        self.as_mut().end_step()
    }
}
