//! Every family with the shapes CI compiles it for, behind one object-safe trait so the tools
//! (`sdec kernels list|compile`, the fuzzer, the tuner) can walk them all.

use serde::Serialize;

use crate::family::{DeviceLimits, KernelFamily, KernelKey};

/// One rendered configuration: what NVRTC compiles, and how to name it in a report.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedConfig {
    pub family: &'static str,
    pub shape: String,
    pub config: String,
    pub key: KernelKey,
    #[serde(skip)]
    pub source: String,
}

pub trait FamilyEntry: Sync {
    fn name(&self) -> &'static str;
    fn params(&self) -> Vec<(&'static str, Vec<&'static str>)>;
    /// Size of the declared space (before constraints).
    fn space_size(&self) -> usize;
    /// The hash the tuning cache keys the family's entries by ([`crate::family::source_hash`]).
    fn source_hash(&self) -> String;
    /// Every valid configuration for every standard shape, rendered.
    fn render_standard(&self, limits: &DeviceLimits) -> Vec<RenderedConfig>;
}

/// A family with the shapes it is compiled and fuzzed for in CI.
pub struct Entry<F: KernelFamily> {
    pub standard_shapes: fn() -> Vec<F::Shape>,
}

impl<F: KernelFamily> FamilyEntry for Entry<F>
where
    F::Shape: Sync,
{
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn params(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        F::PARAMS.iter().map(|p| (p.name, p.candidates.to_vec())).collect()
    }

    fn space_size(&self) -> usize {
        F::space().len()
    }

    fn source_hash(&self) -> String {
        crate::family::source_hash::<F>()
    }

    fn render_standard(&self, limits: &DeviceLimits) -> Vec<RenderedConfig> {
        let mut out = Vec::new();
        for shape in (self.standard_shapes)() {
            let shape_text = serde_json::to_string(&shape).unwrap_or_default();
            for config in F::valid_space(&shape, limits) {
                out.push(RenderedConfig {
                    family: F::NAME,
                    shape: shape_text.clone(),
                    config: serde_json::to_string(&config).unwrap_or_default(),
                    key: F::key(&config, &shape, &limits.arch),
                    source: F::render(&config, &shape),
                });
            }
        }
        out
    }
}

pub fn all_families() -> Vec<&'static dyn FamilyEntry> {
    vec![
        &crate::topk::ENTRY,
        &crate::block_score::ENTRY,
        &crate::attention::DECODE_ENTRY,
        &crate::attention::GATHER_ENTRY,
        &crate::attention::chunk::ENTRY,
        &crate::glue::RMSNORM_ENTRY,
        &crate::glue::ROPE_ENTRY,
        &crate::glue::SWIGLU_ENTRY,
        &crate::glue::KV_APPEND_ENTRY,
        &crate::glue::ARGMAX_ENTRY,
        &crate::glue::ROPE_APPEND_ENTRY,
        &crate::glue::EMBED_ENTRY,
        &crate::glue::ADVANCE_ENTRY,
        &crate::glue::SPIN_ENTRY,
        &crate::glue::SYNTH_ENTRY,
        &crate::lychee::ENTRY,
        &crate::spec::ENTRY,
        &crate::quest::ENTRY,
        &crate::lfps::ENTRY,
        &crate::linear::ENTRY,
    ]
}

pub fn find(name: &str) -> Option<&'static dyn FamilyEntry> {
    all_families().into_iter().find(|f| f.name() == name)
}

pub fn names() -> Vec<&'static str> {
    all_families().iter().map(|f| f.name()).collect()
}
