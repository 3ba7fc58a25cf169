//! Full attention: every head reads the whole context.

use super::{AttentionPolicy, HeadCtx};
use crate::attention::Selection;
use crate::error::Result;

pub struct Full;

impl AttentionPolicy for Full {
    fn name(&self) -> &'static str {
        "full"
    }
    fn select(&mut self, _h: &HeadCtx<'_>) -> Result<Selection> {
        Ok(Selection::Dense)
    }
}
