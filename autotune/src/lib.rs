//! The autotuner of sdec, without the GPU: search strategies over a family's valid space driven
//! by an abstract [`Measurer`], the deterministic choice rule, shape buckets and presets, and the
//! versioned cache (winners, progress of an interrupted run, compiled CUBINs). The GPU measurer
//! and `sdec tune` live in `sdec-runtime` (`runtime/src/tune/`). See `docs/autotune.md`.

pub mod buckets;
pub mod cache;
pub mod measure;
pub mod replay;
pub mod strategy;

pub use buckets::{bucket_id, Preset, PresetShape, Tunable};
pub use cache::{parse_cache_file, source_hash, Cache, CacheError, CubinStore, Entry, EntryKey, GpuIdentity, Lookup, Measured, Progress, Refined};
pub use measure::{Measurement, Measurer};
pub use replay::{replay, ReplayRow};
pub use strategy::{choose, search, search_from, Outcome, Space, Strategy, DESCENT_FRACTION, SMALL_SPACE};

use sdec_kernels::KernelFamily;

/// The valid space of `F` for a shape as a [`Space`] of coordinates, and the configurations.
pub fn space_of<F: KernelFamily>(shape: &F::Shape, limits: &sdec_kernels::DeviceLimits) -> (Vec<F::Config>, Space) {
    let configs = F::valid_space(shape, limits);
    let json: Vec<serde_json::Value> = configs.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect();
    let params: Vec<&str> = F::PARAMS.iter().map(|p| p.name).collect();
    let modes: Vec<&str> = F::PARAMS.iter().filter(|p| p.mode).map(|p| p.name).collect();
    (configs, Space::from_json(&params, &json).with_modes(&modes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sdec_kernels::attention::DecodeAttention;

    #[test]
    fn decode_space_has_lines_along_every_parameter() {
        let shape = &DecodeAttention::preset(Preset::Standard)[0].shape;
        let (configs, space) = space_of::<DecodeAttention>(shape, &Default::default());
        assert_eq!(configs.len(), space.len());
        assert_eq!(space.params, ["threads", "split_tokens", "unroll", "mma"]);
        assert_eq!(space.line(0, 1).len(), 6);
        assert_eq!(space.line(0, 2).len(), 4);
        assert_eq!(configs[0], DecodeAttention::default_config(shape, &Default::default()).unwrap());
    }

    #[test]
    fn source_hashes_differ_between_families_and_are_stable() {
        let a = source_hash::<DecodeAttention>();
        assert_eq!(a, source_hash::<DecodeAttention>());
        assert_ne!(a, source_hash::<sdec_kernels::attention::GatherAttention>());
        assert_eq!(a.len(), 32);
    }
}
