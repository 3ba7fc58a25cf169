//! The tuning cache: a versioned JSON file of winners, the progress of an interrupted run, and
//! the compiled CUBINs of the winners, all in one folder (`.sdec/tune/` by default).
//!
//! ```text
//! <dir>/tune.json                         CacheFile: schema, entries (winners)
//! <dir>/progress.json                     ProgressFile: measurements of unfinished entries
//! <dir>/cubin/nvrtc-<version>/<key>.cubin a compiled kernel, named by its KernelKey
//! ```
//!
//! An entry is trusted only when its whole key matches: the GPU (name, compute capability, SM
//! count, driver and NVRTC versions), the family, the hash of the family's source and the shape
//! bucket. Every file is written atomically (a temporary file in the same folder, then a rename).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use sdec_kernels::family::source_hash;
use sdec_kernels::KernelKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::measure::Measurement;

/// Version of the files' layout. A file of another version is reported and not trusted.
pub const SCHEMA: u32 = 1;
pub const CACHE_FILE: &str = "tune.json";
pub const PROGRESS_FILE: &str = "progress.json";

/// What the measurements depend on, besides the family and the shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GpuIdentity {
    pub name: String,
    pub compute_capability: (u32, u32),
    pub sm_count: u32,
    /// As cuDriverGetVersion reports it (e.g. 13000).
    pub driver: i32,
    /// "major.minor".
    pub nvrtc: String,
}

impl std::fmt::Display for GpuIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor) = self.compute_capability;
        write!(f, "{} (sm_{major}{minor}, {} SMs, driver {}, NVRTC {})", self.name, self.sm_count, self.driver, self.nvrtc)
    }
}

/// The full key of a cache entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryKey {
    pub gpu: GpuIdentity,
    pub family: String,
    /// [`source_hash`] of the family.
    pub source_hash: String,
    /// [`crate::bucket_id`] of the shape.
    pub bucket: String,
}

/// One configuration measured while tuning an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Index in the valid space (declaration order) when it was measured.
    pub index: usize,
    pub config: Value,
    pub result: Measurement,
}

/// The winner of one (GPU, family, source, bucket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub key: EntryKey,
    /// The preset's label of the shape tuned, and the shape itself.
    pub label: String,
    pub shape: Value,
    pub strategy: String,
    pub winner: Value,
    /// Key of the winner's compiled kernel (its CUBIN is in the store under this name).
    pub winner_kernel: KernelKey,
    pub winner_us: f64,
    pub winner_spread_us: f64,
    pub default: Value,
    /// None when the default configuration failed or was wrong.
    pub default_us: Option<f64>,
    /// Bytes moved over the measured copy bandwidth.
    pub floor_us: Option<f64>,
    /// Valid configurations in the space, and those measured, failed and wrong among them.
    pub space: usize,
    pub tried: usize,
    pub failed: usize,
    pub wrong: usize,
    pub seconds: f64,
    pub tuned_at_unix: u64,
    pub measured: Vec<Measured>,
    /// Chosen again by the time of a whole decode step (`sdec tune --refine`): one of the
    /// measured configurations, which the runtime then launches instead of `winner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refined: Option<Refined>,
    /// Each refined policy's own choice, by policy name (`full`, `lychee`, ...). Policies share
    /// entries (every batch-1 step runs the same projections), and one policy's refinement must
    /// not change what another's step launches: SpecAttn's once made `full`'s 128K step 0.39 ms
    /// slower (docs/results/decode.md section 34). `refined` is the latest refinement of any
    /// policy, which the others launch.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refined_by: BTreeMap<String, Refined>,
}

impl Entry {
    /// An entry of `key` for `shape` with nothing measured and no winner yet (`Value::Null`):
    /// what tests and tools fill in field by field.
    pub fn unmeasured(key: EntryKey, label: &str, shape: Value) -> Entry {
        Entry {
            key,
            label: label.into(),
            shape,
            strategy: "exhaustive".into(),
            winner: Value::Null,
            winner_kernel: KernelKey(String::new()),
            winner_us: 0.0,
            winner_spread_us: 0.0,
            default: Value::Null,
            default_us: None,
            floor_us: None,
            space: 0,
            tried: 0,
            failed: 0,
            wrong: 0,
            seconds: 0.0,
            tuned_at_unix: 0,
            measured: Vec::new(),
            refined: None,
            refined_by: BTreeMap::new(),
        }
    }

    /// The configuration the runtime launches: the latest refined choice, else the winner.
    pub fn chosen(&self) -> &Value {
        self.refined.as_ref().map_or(&self.winner, |r| &r.config)
    }

    /// The configuration the runtime launches for `policy`'s steps: that policy's own refined
    /// choice, else [`Entry::chosen`].
    pub fn chosen_for(&self, policy: Option<&str>) -> &Value {
        policy.and_then(|p| self.refined_by.get(p)).map_or_else(|| self.chosen(), |r| &r.config)
    }

    /// The measured configurations that were verified and timed, fastest first.
    pub fn timed_fastest_first(&self) -> Vec<(&Value, f64)> {
        let mut timed: Vec<(&Value, f64)> = self.measured.iter().filter_map(|m| m.result.timed().map(|(t, _)| (&m.config, t))).collect();
        timed.sort_by(|a, b| a.1.total_cmp(&b.1));
        timed
    }
}

/// A choice made by the decode step's time rather than the kernel's alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refined {
    pub config: Value,
    /// The step's median with this configuration and with the isolated winner, in one run.
    pub step_ms: f64,
    pub winner_step_ms: f64,
    /// The step it was chosen by.
    pub model: String,
    pub policy: String,
    pub batch: usize,
    pub context: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheFile {
    pub schema: u32,
    pub entries: Vec<Entry>,
}

/// Why (part of) a cache is not trusted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CacheError {
    #[error("tuning cache {path} is corrupt and is not trusted ({reason}); it will be replaced (a copy is kept as {path}.rejected)")]
    Corrupt { path: PathBuf, reason: String },
    #[error("tuning cache {path} has schema {found}, this sdec reads schema {expected}; it is not trusted and will be replaced (a copy is kept as {path}.rejected)")]
    Schema { path: PathBuf, found: u64, expected: u32 },
    #[error("cache folder {path} is not writable: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// What the cache holds for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'a> {
    Hit(&'a Entry),
    /// Nothing for this family and bucket.
    Miss,
    /// Entries for this family and bucket exist, but for another GPU, driver, NVRTC or source.
    Untrusted { reason: String },
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates the folder if needed and proves it writable with a probe file.
pub fn ensure_writable(dir: &Path) -> Result<(), CacheError> {
    let fail = |e: std::io::Error| CacheError::Unwritable { path: dir.to_path_buf(), reason: e.to_string() };
    fs::create_dir_all(dir).map_err(fail)?;
    let probe = tempfile::Builder::new().prefix(".probe-").tempfile_in(dir).map_err(fail)?;
    drop(probe);
    Ok(())
}

fn parse_versioned<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, CacheError> {
    let text = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CacheError::Unreadable { path: path.to_path_buf(), reason: e.to_string() }),
    };
    parse_versioned_text(&text, path).map(Some)
}

/// A cache file's contents (`text`, read from `path`), checked for its schema version.
pub fn parse_cache_file(text: &[u8], path: &Path) -> Result<CacheFile, CacheError> {
    parse_versioned_text(text, path)
}

fn parse_versioned_text<T: for<'de> Deserialize<'de>>(text: &[u8], path: &Path) -> Result<T, CacheError> {
    let corrupt = |reason: String| CacheError::Corrupt { path: path.to_path_buf(), reason };
    let value: Value = serde_json::from_slice(text).map_err(|e| corrupt(e.to_string()))?;
    match value.get("schema").and_then(Value::as_u64) {
        Some(v) if v == SCHEMA as u64 => {}
        Some(found) => return Err(CacheError::Schema { path: path.to_path_buf(), found, expected: SCHEMA }),
        None => return Err(corrupt("no schema version".into())),
    }
    serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
}

/// The winners, loaded from a folder. Problems loading it are kept in `problem` (to be reported
/// once); the cache then starts empty.
#[derive(Debug, Clone)]
pub struct Cache {
    pub dir: PathBuf,
    pub file: CacheFile,
    pub problem: Option<CacheError>,
}

impl Cache {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(CACHE_FILE)
    }

    /// Loads `<dir>/tune.json`. A missing file is an empty cache; a corrupt one or one of
    /// another schema is an empty cache with `problem` set.
    pub fn load(dir: &Path) -> Cache {
        let empty = CacheFile { schema: SCHEMA, entries: Vec::new() };
        let (file, problem) = match parse_versioned::<CacheFile>(&Self::path(dir)) {
            Ok(Some(file)) => (file, None),
            Ok(None) => (empty, None),
            Err(e) => (empty, Some(e)),
        };
        Cache { dir: dir.to_path_buf(), file, problem }
    }

    pub fn lookup(&self, key: &EntryKey) -> Lookup<'_> {
        if let Some(e) = self.file.entries.iter().find(|e| e.key == *key) {
            return Lookup::Hit(e);
        }
        let same = |e: &&Entry| e.key.family == key.family && e.key.bucket == key.bucket;
        match self.file.entries.iter().find(same) {
            None => Lookup::Miss,
            Some(e) if e.key.gpu != key.gpu => Lookup::Untrusted { reason: format!("tuned on another GPU or toolchain: {}", e.key.gpu) },
            Some(_) => Lookup::Untrusted { reason: "the family's source changed since it was tuned".into() },
        }
    }

    /// Adds an entry, replacing any for the same GPU, family and bucket (an older source).
    pub fn insert(&mut self, entry: Entry) {
        let k = &entry.key;
        self.file.entries.retain(|e| !(e.key.gpu == k.gpu && e.key.family == k.family && e.key.bucket == k.bucket));
        self.file.entries.push(entry);
    }

    /// Writes the cache atomically. A file that was not trusted is first copied aside.
    pub fn save(&mut self) -> Result<(), CacheError> {
        let path = Self::path(&self.dir);
        let fail = |e: std::io::Error| CacheError::Unwritable { path: self.dir.clone(), reason: e.to_string() };
        if self.problem.take().is_some() {
            let _ = fs::copy(&path, path.with_extension("json.rejected"));
        }
        let text = serde_json::to_vec_pretty(&self.file).map_err(|e| fail(std::io::Error::other(e)))?;
        write_atomic(&path, &text).map_err(fail)
    }
}

/// Measurements of entries not finished yet, for `--resume`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressFile {
    pub schema: u32,
    pub entries: Vec<ProgressEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressEntry {
    pub key: EntryKey,
    pub strategy: String,
    pub measured: Vec<Measured>,
}

#[derive(Debug, Clone)]
pub struct Progress {
    pub dir: PathBuf,
    pub file: ProgressFile,
    pub problem: Option<CacheError>,
}

impl Progress {
    pub fn load(dir: &Path) -> Progress {
        let empty = ProgressFile { schema: SCHEMA, entries: Vec::new() };
        let (file, problem) = match parse_versioned::<ProgressFile>(&dir.join(PROGRESS_FILE)) {
            Ok(Some(f)) => (f, None),
            Ok(None) => (empty, None),
            Err(e) => (empty, Some(e)),
        };
        Progress { dir: dir.to_path_buf(), file, problem }
    }

    /// An empty record (a run without `--resume` starts over).
    pub fn empty(dir: &Path) -> Progress {
        Progress { dir: dir.to_path_buf(), file: ProgressFile { schema: SCHEMA, entries: Vec::new() }, problem: None }
    }

    /// What an interrupted run measured for this key and strategy.
    pub fn get(&self, key: &EntryKey, strategy: &str) -> &[Measured] {
        self.file.entries.iter().find(|e| e.key == *key && e.strategy == strategy).map(|e| e.measured.as_slice()).unwrap_or(&[])
    }

    pub fn set(&mut self, key: &EntryKey, strategy: &str, measured: Vec<Measured>) {
        self.remove(key);
        self.file.entries.push(ProgressEntry { key: key.clone(), strategy: strategy.into(), measured });
    }

    pub fn remove(&mut self, key: &EntryKey) {
        self.file.entries.retain(|e| e.key != *key);
    }

    /// Writes `progress.json` atomically, or removes it when nothing is pending.
    pub fn save(&self) -> Result<(), CacheError> {
        let path = self.dir.join(PROGRESS_FILE);
        let fail = |e: std::io::Error| CacheError::Unwritable { path: self.dir.clone(), reason: e.to_string() };
        if self.file.entries.is_empty() {
            return match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(e)),
                _ => Ok(()),
            };
        }
        let text = serde_json::to_vec_pretty(&ProgressFile { schema: SCHEMA, entries: self.file.entries.clone() }).map_err(|e| fail(std::io::Error::other(e)))?;
        write_atomic(&path, &text).map_err(fail)
    }
}

/// Compiled kernels by key: `<dir>/cubin/nvrtc-<version>/<KernelKey>.cubin`. The key hashes the
/// source, the NVRTC options and the arch; the folder names the NVRTC that compiled it.
#[derive(Debug, Clone)]
pub struct CubinStore {
    pub dir: PathBuf,
}

impl CubinStore {
    pub fn new(cache_dir: &Path, nvrtc_version: &str) -> CubinStore {
        let safe: String = nvrtc_version.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
        CubinStore { dir: cache_dir.join("cubin").join(format!("nvrtc-{safe}")) }
    }

    pub fn path(&self, key: &KernelKey) -> PathBuf {
        self.dir.join(format!("{}.cubin", key.0))
    }

    /// The stored CUBIN, if there is one and it looks like an ELF image.
    pub fn get(&self, key: &KernelKey) -> Option<Vec<u8>> {
        if !key.0.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        fs::read(self.path(key)).ok().filter(|b| b.len() > 4 && b.starts_with(b"\x7fELF"))
    }

    pub fn put(&self, key: &KernelKey, cubin: &[u8]) -> Result<(), CacheError> {
        let fail = |e: std::io::Error| CacheError::Unwritable { path: self.dir.clone(), reason: e.to_string() };
        fs::create_dir_all(&self.dir).map_err(fail)?;
        write_atomic(&self.path(key), cubin).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(name: &str) -> GpuIdentity {
        GpuIdentity { name: name.into(), compute_capability: (9, 0), sm_count: 132, driver: 13000, nvrtc: "13.0".into() }
    }

    fn key(g: &str, source: &str, bucket: &str) -> EntryKey {
        EntryKey { gpu: gpu(g), family: "topk".into(), source_hash: source.into(), bucket: bucket.into() }
    }

    fn entry(k: EntryKey) -> Entry {
        Entry {
            key: k,
            label: "x".into(),
            shape: Value::Null,
            strategy: "exhaustive".into(),
            winner: serde_json::json!({"threads": 256}),
            winner_kernel: KernelKey("ab".into()),
            winner_us: 1.0,
            winner_spread_us: 0.1,
            default: serde_json::json!({"threads": 512}),
            default_us: Some(2.0),
            floor_us: None,
            space: 3,
            tried: 3,
            failed: 0,
            wrong: 0,
            seconds: 0.5,
            tuned_at_unix: 0,
            measured: vec![Measured { index: 0, config: Value::Null, result: Measurement::Failed { reason: "r".into() } }],
            refined: None,
            refined_by: BTreeMap::new(),
        }
    }

    /// A cache written before `refined` existed still reads; a refined choice is what runs.
    #[test]
    fn refined_choices_are_optional_and_win() {
        let mut e = entry(key("H100", "s1", "b1"));
        let mut text = serde_json::to_value(&e).unwrap();
        assert!(text.get("refined").is_none(), "not written when absent");
        text.as_object_mut().unwrap().remove("refined");
        let read: Entry = serde_json::from_value(text).unwrap();
        assert_eq!(read, e);
        assert_eq!(e.chosen(), &serde_json::json!({"threads": 256}));
        e.refined = Some(Refined {
            config: serde_json::json!({"threads": 128}),
            step_ms: 1.0,
            winner_step_ms: 1.1,
            model: "m".into(),
            policy: "full".into(),
            batch: 2,
            context: 8,
        });
        assert_eq!(e.chosen(), &serde_json::json!({"threads": 128}));
        let timed = |c: u32, t: f64| Measured {
            index: 0,
            config: serde_json::json!({"threads": c}),
            result: Measurement::Timed { median_us: t, spread_us: 0.0, min_us: t, max_us: t, runs: 25 },
        };
        e.measured = vec![timed(256, 2.0), timed(128, 1.5), timed(64, 3.0)];
        let order: Vec<f64> = e.timed_fastest_first().iter().map(|(_, t)| *t).collect();
        assert_eq!(order, [1.5, 2.0, 3.0], "failed ones left out, fastest first");
    }

    /// A policy launches its own refined choice; a policy without one launches the latest
    /// refinement (any policy's), else the winner. A cache without `refined_by` still reads.
    #[test]
    fn each_policy_launches_its_own_refined_choice() {
        let mut e = entry(key("H100", "s1", "b1"));
        let refined = |threads: u32, policy: &str| Refined {
            config: serde_json::json!({"threads": threads}),
            step_ms: 1.0,
            winner_step_ms: 1.1,
            model: "m".into(),
            policy: policy.into(),
            batch: 1,
            context: 8,
        };
        assert_eq!(e.chosen_for(Some("full")), &serde_json::json!({"threads": 256}), "nothing refined: the winner");
        e.refined = Some(refined(64, "specattn"));
        e.refined_by.insert("full".into(), refined(128, "full"));
        e.refined_by.insert("specattn".into(), refined(64, "specattn"));
        assert_eq!(e.chosen_for(Some("full")), &serde_json::json!({"threads": 128}), "full's own, not the later specattn's");
        assert_eq!(e.chosen_for(Some("specattn")), &serde_json::json!({"threads": 64}));
        assert_eq!(e.chosen_for(Some("tidal")), &serde_json::json!({"threads": 64}), "no own choice: the latest");
        assert_eq!(e.chosen_for(None), e.chosen());
        let mut text = serde_json::to_value(&e).unwrap();
        assert_eq!(text["refined_by"]["full"]["config"]["threads"], 128);
        text.as_object_mut().unwrap().remove("refined_by");
        let read: Entry = serde_json::from_value(text).unwrap();
        assert!(read.refined_by.is_empty());
        assert_eq!(read.chosen_for(Some("full")), &serde_json::json!({"threads": 64}));
    }

    #[test]
    fn round_trip_and_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::load(dir.path());
        assert!(cache.problem.is_none());
        cache.insert(entry(key("H100", "s1", "b1")));
        cache.save().unwrap();
        let again = Cache::load(dir.path());
        assert!(again.problem.is_none());
        assert!(matches!(again.lookup(&key("H100", "s1", "b1")), Lookup::Hit(e) if e.winner_us == 1.0));
        assert_eq!(again.lookup(&key("H100", "s1", "b2")), Lookup::Miss);
    }

    #[test]
    fn another_gpu_or_source_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::load(dir.path());
        cache.insert(entry(key("A100", "s1", "b1")));
        assert!(matches!(cache.lookup(&key("H100", "s1", "b1")), Lookup::Untrusted { reason } if reason.contains("A100")));
        assert!(matches!(cache.lookup(&key("A100", "s2", "b1")), Lookup::Untrusted { reason } if reason.contains("source")));
        // The H100's entry joins the A100's; a new source replaces the old one of the same GPU.
        cache.insert(entry(key("H100", "s1", "b1")));
        cache.insert(entry(key("H100", "s2", "b1")));
        assert_eq!(cache.file.entries.len(), 2);
        assert!(matches!(cache.lookup(&key("H100", "s2", "b1")), Lookup::Hit(_)));
    }

    #[test]
    fn corrupt_or_foreign_schema_is_reported_and_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = Cache::path(dir.path());
        fs::write(&path, b"{\"schema\": 1, \"entries\": [{\"key\": 3").unwrap();
        let mut cache = Cache::load(dir.path());
        assert!(matches!(cache.problem, Some(CacheError::Corrupt { .. })), "{:?}", cache.problem);
        assert!(cache.file.entries.is_empty());
        assert!(cache.problem.as_ref().unwrap().to_string().contains("corrupt"));
        cache.insert(entry(key("H100", "s1", "b1")));
        cache.save().unwrap();
        assert!(dir.path().join("tune.json.rejected").exists(), "the untrusted file is kept aside");
        assert!(Cache::load(dir.path()).problem.is_none());

        fs::write(&path, br#"{"schema": 99, "entries": []}"#).unwrap();
        assert!(matches!(Cache::load(dir.path()).problem, Some(CacheError::Schema { found: 99, .. })));
        fs::write(&path, br#"{"entries": []}"#).unwrap();
        assert!(matches!(Cache::load(dir.path()).problem, Some(CacheError::Corrupt { .. })));
    }

    #[test]
    fn atomic_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary left behind: {names:?}");
        // A write into a missing folder fails and creates nothing.
        assert!(write_atomic(&dir.path().join("missing/f.json"), b"x").is_err());
        assert!(!dir.path().join("missing").exists());
    }

    #[test]
    fn unwritable_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, b"").unwrap();
        let err = ensure_writable(&file.join("tune")).unwrap_err();
        assert!(err.to_string().contains("not writable"), "{err}");
        assert!(ensure_writable(&dir.path().join("a/b")).is_ok());
    }

    #[test]
    fn progress_round_trip_and_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Progress::load(dir.path());
        let k = key("H100", "s1", "b1");
        let m = vec![Measured { index: 2, config: Value::Null, result: Measurement::Wrong { reason: "w".into() } }];
        p.set(&k, "exhaustive", m.clone());
        p.save().unwrap();
        let p2 = Progress::load(dir.path());
        assert_eq!(p2.get(&k, "exhaustive"), m.as_slice());
        assert!(p2.get(&k, "descent(0.2)").is_empty());
        assert!(p2.get(&key("A100", "s1", "b1"), "exhaustive").is_empty());
        let mut p3 = p2.clone();
        p3.remove(&k);
        p3.save().unwrap();
        assert!(!dir.path().join(PROGRESS_FILE).exists());
    }

    #[test]
    fn cubin_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = CubinStore::new(dir.path(), "13.0");
        let k = KernelKey("00ff".into());
        assert!(store.get(&k).is_none());
        store.put(&k, b"\x7fELF....").unwrap();
        assert_eq!(store.get(&k).unwrap(), b"\x7fELF....");
        assert!(store.path(&k).starts_with(dir.path().join("cubin/nvrtc-13.0")));
        store.put(&KernelKey("01".into()), b"garbage").unwrap();
        assert!(store.get(&KernelKey("01".into())).is_none(), "not an ELF image: not trusted");
    }
}
