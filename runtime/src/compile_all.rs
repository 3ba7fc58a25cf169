//! `sdec kernels compile`: render every valid configuration of every family for its standard
//! shapes and compile each distinct source with NVRTC, in parallel. Needs no GPU.

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};
use sdec_kernels::registry::{FamilyEntry, RenderedConfig};
use sdec_kernels::DeviceLimits;
use serde::Serialize;

use crate::error::Result;
use crate::nvrtc;
use crate::nvrtc_pool::{compile_many, Job};

#[derive(Debug, Serialize)]
pub struct CompileFailure {
    pub family: &'static str,
    pub shape: String,
    pub config: String,
    pub log: String,
}

#[derive(Debug, Serialize)]
pub struct CompileReport {
    pub arch: String,
    pub nvrtc_version: String,
    /// Configurations (config × standard shape) rendered and compiled.
    pub compiled: usize,
    /// Distinct sources among them (identical renders compile once).
    pub distinct_sources: usize,
    pub failed: Vec<CompileFailure>,
    pub per_family: BTreeMap<&'static str, usize>,
}

pub fn compile_all(families: &[&dyn FamilyEntry], arch: &str, progress: bool) -> Result<CompileReport> {
    nvrtc::ensure_available()?;
    let limits = DeviceLimits { arch: arch.to_string(), ..DeviceLimits::default() };
    let rendered: Vec<RenderedConfig> = families.iter().flat_map(|f| f.render_standard(&limits)).collect();
    let mut per_family = BTreeMap::new();
    for r in &rendered {
        *per_family.entry(r.family).or_insert(0) += 1;
    }
    let mut distinct: BTreeMap<_, &RenderedConfig> = BTreeMap::new();
    for r in &rendered {
        distinct.entry(r.key.clone()).or_insert(r);
    }
    let bar = if progress { ProgressBar::new(distinct.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("compiling [{bar:40}] {pos}/{len} ({eta})").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let jobs: Vec<Job> = distinct.values().map(|r| Job { source: r.source.clone(), arch: arch.to_string(), family: r.family.to_string(), config: r.config.clone() }).collect();
    let compiled = compile_many(&jobs, &|n| bar.inc(n as u64));
    let failures: Vec<(sdec_kernels::KernelKey, String)> =
        distinct.keys().zip(compiled).filter_map(|(key, result)| result.err().map(|e| (key.clone(), e.to_string()))).collect();
    bar.finish_and_clear();
    let failed_keys: BTreeMap<_, _> = failures.into_iter().collect();
    // Every configuration whose source failed counts as failed.
    let failed = rendered
        .iter()
        .filter_map(|r| failed_keys.get(&r.key).map(|log| CompileFailure { family: r.family, shape: r.shape.clone(), config: r.config.clone(), log: log.clone() }))
        .collect();
    Ok(CompileReport { arch: arch.into(), nvrtc_version: nvrtc::version()?, compiled: rendered.len(), distinct_sources: distinct.len(), failed, per_family })
}
