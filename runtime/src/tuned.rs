//! The runtime's side of the tuner: the configuration each kernel is launched with. The cached
//! winner for the shape's bucket on this GPU (its CUBIN loaded from the store, so nothing is
//! recompiled), or the family's default with one log line per family and bucket saying why.
//!
//! ```ignore
//! let tuned = Tuned::open_default(&gpu)?;
//! let kernel = DecodeKernel::new(&gpu, tuned.config_for::<DecodeAttention>(&gpu, &shape)?, shape)?;
//! let same = tuned.decode_kernel(&gpu, shape)?;
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;

use sdec_autotune::{bucket_id, source_hash, Cache, CubinStore, EntryKey, GpuIdentity, Lookup, Tunable};
use sdec_kernels::{DeviceLimits, KernelKey};

use sdec_kernels::attention::{AttentionShape, DecodeAttention, GatherAttention, GatherShape};
use sdec_kernels::block_score::{BlockScore, BlockScoreShape};
use sdec_kernels::glue::RowShape;
use sdec_kernels::topk::{Topk, TopkShape};

use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::attention::{DecodeKernel, GatherKernel};
use crate::launch::block_score::BlockScoreKernel;
use crate::launch::glue::GlueKernel;
use crate::launch::topk::TopkKernel;
use crate::tune::{cache_dir, gpu_identity};

/// Where a configuration came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<C> {
    /// The cached winner, and the key of its compiled kernel.
    Tuned(C, KernelKey),
    /// The default, and why no winner was used.
    Default(C, String),
}

/// The decision alone, without a GPU: the cached choice for `shape`'s bucket (`policy`'s own
/// refined one where it has one) when it is trusted and valid for this shape, else the family's
/// default and the reason.
pub fn resolve<F: Tunable>(cache: &Cache, identity: &GpuIdentity, limits: &DeviceLimits, shape: &F::Shape, policy: Option<&str>) -> Result<Resolved<F::Config>> {
    let key = EntryKey { gpu: identity.clone(), family: F::NAME.into(), source_hash: source_hash::<F>(), bucket: bucket_id::<F>(shape) };
    let why = match cache.lookup(&key) {
        Lookup::Hit(entry) => return tuned_or_default::<F>(entry.chosen_for(policy), limits, shape),
        Lookup::Miss => "not tuned for this shape bucket on this GPU".into(),
        Lookup::Untrusted { reason } => format!("cached entry not trusted: {reason}"),
    };
    Ok(Resolved::Default(F::default_config(shape, limits)?, why))
}

/// `config` (a cached choice) when it is a configuration of `F` that serves `shape`, else the
/// default and why.
fn tuned_or_default<F: Tunable>(config: &serde_json::Value, limits: &DeviceLimits, shape: &F::Shape) -> Result<Resolved<F::Config>> {
    let why = match serde_json::from_value::<F::Config>(config.clone()) {
        Ok(parsed) => match F::check(&parsed, shape, limits) {
            Ok(()) => return Ok(Resolved::Tuned(parsed, F::key(&parsed, shape, &limits.arch))),
            Err(v) => format!("the tuned {config} does not fit this shape ({v})"),
        },
        Err(e) => format!("the cached winner {config} is not a configuration of this family ({e}); not trusted"),
    };
    Ok(Resolved::Default(F::default_config(shape, limits)?, why))
}

/// The tuning cache as the runtime reads it.
pub struct Tuned {
    cache: Cache,
    store: CubinStore,
    identity: GpuIdentity,
    logged: Mutex<BTreeSet<(String, String)>>,
    /// (family, bucket) of every lookup, in order (what a decode step uses: `sdec tune --refine`).
    used: Mutex<Vec<(String, String)>>,
    /// Configurations to launch instead of the cached choice, by (family, bucket).
    overrides: Mutex<HashMap<(String, String), serde_json::Value>>,
    /// The policy whose decode steps the lookups serve (its own refined choices are launched).
    policy: Mutex<Option<String>>,
}

impl Tuned {
    /// Reads the cache in `dir`. A corrupt cache or one of another schema is reported once and
    /// ignored (every kernel then takes its default).
    pub fn open(gpu: &Gpu, dir: &Path) -> Result<Tuned> {
        let identity = gpu_identity(gpu)?;
        let cache = Cache::load(dir);
        if let Some(problem) = &cache.problem {
            eprintln!("sdec: {problem}");
        }
        Ok(Tuned {
            store: CubinStore::new(dir, &identity.nvrtc),
            cache,
            identity,
            logged: Mutex::default(),
            used: Mutex::default(),
            overrides: Mutex::default(),
            policy: Mutex::default(),
        })
    }

    /// [`Tuned::open`] on `$SDEC_TUNE_DIR`, else `.sdec/tune`.
    pub fn open_default(gpu: &Gpu) -> Result<Tuned> {
        Self::open(gpu, &cache_dir(None))
    }

    /// The configuration to launch `F` with for `shape`. A tuned winner's CUBIN is loaded into
    /// the GPU's module cache from the store, so the launcher does not compile it.
    pub fn config_for<F: Tunable>(&self, gpu: &Gpu, shape: &F::Shape) -> Result<F::Config> {
        let at = (F::NAME.to_string(), bucket_id::<F>(shape));
        let overridden = self.overrides.lock().ok().and_then(|o| o.get(&at).cloned());
        let resolved = match overridden {
            Some(config) => tuned_or_default::<F>(&config, &gpu.limits(), shape)?,
            None => {
                let resolved = resolve::<F>(&self.cache, &self.identity, &gpu.limits(), shape, self.policy().as_deref())?;
                if let (Resolved::Tuned(..), Ok(mut used)) = (&resolved, self.used.lock()) {
                    if !used.contains(&at) {
                        used.push(at);
                    }
                }
                resolved
            }
        };
        match resolved {
            Resolved::Tuned(config, key) => {
                if !gpu.has_module(&key) {
                    if let Some(cubin) = self.store.get(&key) {
                        // A CUBIN that fails to load is compiled again by the launcher.
                        let _ = gpu.insert_ptx(key, cudarc::nvrtc::Ptx::from_binary(cubin));
                    }
                }
                Ok(config)
            }
            Resolved::Default(config, why) => {
                let bucket = bucket_id::<F>(shape);
                let first = self.logged.lock().map(|mut l| l.insert((F::NAME.to_string(), bucket.clone()))).unwrap_or(false);
                if first {
                    eprintln!(
                        "sdec: {} {bucket}: {why}; using the default {} (run `sdec tune --family {}`)",
                        F::NAME,
                        serde_json::to_string(&config).unwrap_or_default(),
                        F::NAME
                    );
                }
                Ok(config)
            }
        }
    }
}

/// What `sdec tune --refine` needs: which entries a decode step looked up, and launching other
/// configurations for some of them.
impl Tuned {
    /// (family, bucket) of every lookup so far that the cache served (a trusted entry), first
    /// lookup first.
    pub fn used(&self) -> Vec<(String, String)> {
        self.used.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// Launch `config` for (family, bucket) from now on (None: the cached choice again).
    pub fn set_override(&self, family: &str, bucket: &str, config: Option<serde_json::Value>) {
        if let Ok(mut o) = self.overrides.lock() {
            let at = (family.to_string(), bucket.to_string());
            match config {
                Some(c) => o.insert(at, c),
                None => o.remove(&at),
            };
        }
    }

    /// The lookups from now on serve `policy`'s decode steps (by name: `full`, `lychee`, ...):
    /// they launch its own refined choices where it has them (`Entry::chosen_for`).
    pub fn set_policy(&self, policy: Option<&str>) {
        if let Ok(mut p) = self.policy.lock() {
            *p = policy.map(str::to_string);
        }
    }

    /// The policy set by [`Tuned::set_policy`].
    pub fn policy(&self) -> Option<String> {
        self.policy.lock().ok().and_then(|p| p.clone())
    }

    /// The cache entry for (family, bucket) on this GPU (trusted when [`Tuned::used`] lists it).
    pub fn entry(&self, family: &str, bucket: &str) -> Option<&sdec_autotune::Entry> {
        self.cache.file.entries.iter().find(|e| e.key.gpu == self.identity && e.key.family == family && e.key.bucket == bucket)
    }
}

/// The launchers, built with [`Tuned::config_for`].
impl Tuned {
    pub fn decode_kernel(&self, gpu: &Gpu, shape: AttentionShape) -> Result<DecodeKernel> {
        DecodeKernel::new(gpu, self.config_for::<DecodeAttention>(gpu, &shape)?, shape)
    }

    pub fn gather_kernel(&self, gpu: &Gpu, shape: GatherShape) -> Result<GatherKernel> {
        GatherKernel::new(gpu, self.config_for::<GatherAttention>(gpu, &shape)?, shape)
    }

    pub fn topk_kernel(&self, gpu: &Gpu, shape: TopkShape) -> Result<TopkKernel> {
        TopkKernel::new(gpu, self.config_for::<Topk>(gpu, &shape)?, shape)
    }

    pub fn block_score_kernel(&self, gpu: &Gpu, shape: BlockScoreShape) -> Result<BlockScoreKernel> {
        BlockScoreKernel::new(gpu, self.config_for::<BlockScore>(gpu, &shape)?, shape)
    }

    /// A glue kernel (`F` one of RmsNorm, Rope, Swiglu, KvAppend, Argmax).
    pub fn glue_kernel<F: Tunable<Shape = RowShape>>(&self, gpu: &Gpu, shape: &RowShape) -> Result<GlueKernel> {
        GlueKernel::new::<F>(gpu, &self.config_for::<F>(gpu, shape)?, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sdec_autotune::{Entry, Preset};
    use sdec_kernels::topk::TopkConfig;
    use sdec_kernels::KernelFamily;

    fn identity(name: &str) -> GpuIdentity {
        GpuIdentity { name: name.into(), compute_capability: (9, 0), sm_count: 132, driver: 13000, nvrtc: "13.0".into() }
    }

    fn cache_with(winner: serde_json::Value, gpu: &str, shape: &TopkShape) -> Cache {
        let dir = std::env::temp_dir();
        let mut cache = Cache::load(&dir.join("sdec-tuned-test-none"));
        let key = EntryKey { gpu: identity(gpu), family: "topk".into(), source_hash: source_hash::<Topk>(), bucket: bucket_id::<Topk>(shape) };
        cache.insert(Entry { winner, winner_us: 1.0, space: 1, tried: 1, ..Entry::unmeasured(key, "t", serde_json::to_value(shape).unwrap()) });
        cache
    }

    #[test]
    fn the_cached_winner_serves_its_bucket_and_the_default_otherwise() {
        let limits = DeviceLimits::default();
        let preset = Topk::preset(Preset::Standard)[1].shape.clone();
        let winner = TopkConfig { threads: 256, items: 8, ctas_per_row: 4, aggregate: true, strategy: sdec_kernels::topk::MULTI, digit_bits: 11 };
        let cache = cache_with(serde_json::to_value(winner).unwrap(), "H100", &preset);
        // Another shape of the same bucket takes the winner.
        let same_bucket = TopkShape { k: 2000, ..preset.clone() };
        assert!(matches!(resolve::<Topk>(&cache, &identity("H100"), &limits, &same_bucket, None).unwrap(), Resolved::Tuned(c, _) if c == winner));
        // Another GPU: the default, with the reason.
        match resolve::<Topk>(&cache, &identity("A100"), &limits, &preset, None).unwrap() {
            Resolved::Default(c, why) => {
                assert_eq!(c, Topk::default_config(&preset, &limits).unwrap());
                assert!(why.contains("another GPU"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        // Another bucket: not tuned.
        let other = TopkShape { rows: 1, n: 1000, k: 10 };
        assert!(matches!(resolve::<Topk>(&cache, &identity("H100"), &limits, &other, None).unwrap(), Resolved::Default(_, why) if why.contains("not tuned")));
        // A choice refined by the decode step's time is launched instead of the winner.
        let mut refined = cache_with(serde_json::to_value(winner).unwrap(), "H100", &preset);
        let step_choice = TopkConfig { threads: 512, ..winner };
        refined.file.entries[0].refined = Some(sdec_autotune::Refined {
            config: serde_json::to_value(step_choice).unwrap(),
            step_ms: 1.0,
            winner_step_ms: 1.1,
            model: "m".into(),
            policy: "full".into(),
            batch: 2,
            context: 8,
        });
        assert!(matches!(resolve::<Topk>(&refined, &identity("H100"), &limits, &preset, None).unwrap(), Resolved::Tuned(c, _) if c == step_choice));
        // A policy with its own refined choice launches that one, the others the latest.
        let own = TopkConfig { threads: 1024, ..winner };
        let mut by_lychee = refined.file.entries[0].refined.clone().unwrap();
        by_lychee.config = serde_json::to_value(own).unwrap();
        refined.file.entries[0].refined_by.insert("lychee".into(), by_lychee);
        assert!(matches!(resolve::<Topk>(&refined, &identity("H100"), &limits, &preset, Some("lychee")).unwrap(), Resolved::Tuned(c, _) if c == own));
        assert!(matches!(resolve::<Topk>(&refined, &identity("H100"), &limits, &preset, Some("full")).unwrap(), Resolved::Tuned(c, _) if c == step_choice));
        // A winner that is not a configuration of the family is not trusted.
        let bad = cache_with(serde_json::json!({"threads": "many"}), "H100", &preset);
        assert!(matches!(resolve::<Topk>(&bad, &identity("H100"), &limits, &preset, None).unwrap(), Resolved::Default(_, why) if why.contains("not trusted")));
    }
}
