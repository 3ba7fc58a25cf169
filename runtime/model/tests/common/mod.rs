//! What the policy tests share: a 4-layer tiny synthetic model (so cross-layer reuse happens) and
//! seeded prompts.

#![allow(dead_code)] // each test binary uses its own subset

use sdec_model::{Model, ModelConfig};

pub fn model() -> Model {
    let mut cfg = ModelConfig::tiny();
    cfg.n_layer = 4;
    Model::synthetic(cfg, 21).unwrap()
}

/// `n` token ids below `vocab`, a different sequence per `salt`.
pub fn prompt_with(n: usize, vocab: usize, salt: u64) -> Vec<u32> {
    (0..n as u64).map(|i| (sdec_model::synthetic::mix64(i + salt) % vocab as u64) as u32).collect()
}
