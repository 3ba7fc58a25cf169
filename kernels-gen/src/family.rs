//! What every kernel family provides. `sdec_dsl::kernel_family!` implements [`KernelFamily`];
//! the provided methods render CUDA source and derive the stable key from it.

use std::fmt;

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// A compile-time constant of the generated source (`constexpr` in the prelude).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constant {
    U32(u32),
    Bool(bool),
}

impl From<u32> for Constant {
    fn from(v: u32) -> Self {
        Constant::U32(v)
    }
}

impl From<bool> for Constant {
    fn from(v: bool) -> Self {
        Constant::Bool(v)
    }
}

impl Constant {
    fn declaration(&self, name: &str) -> String {
        match self {
            Constant::U32(v) => format!("constexpr int {name} = {v};\n"),
            Constant::Bool(v) => format!("constexpr bool {name} = {v};\n"),
        }
    }
}

/// A problem shape: the values that are baked into the source (and so into the key) and those
/// that are passed at launch time.
pub trait Shape: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync {
    /// Constants baked into the generated source, in UPPER_SNAKE case.
    fn baked(&self) -> Vec<(&'static str, Constant)>;
    /// Checks what the family can serve at all (independent of the configuration).
    fn validate(&self) -> Result<(), ShapeError>;
}

/// A shape the family cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported shape for {family}: {reason}")]
pub struct ShapeError {
    pub family: &'static str,
    pub reason: String,
}

/// Device limits the constraints may consult. The default is the H100 (sm_90), so that CI,
/// which has no GPU, checks the space the tuner will see there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DeviceLimits {
    pub arch: String,
    pub max_threads_per_block: u32,
    /// Shared memory a block may opt into (`cudaFuncAttributeMaxDynamicSharedMemorySize`).
    pub max_smem_per_block: u32,
    pub sm_count: u32,
}

impl Default for DeviceLimits {
    fn default() -> Self {
        DeviceLimits { arch: "sm_90".into(), max_threads_per_block: 1024, max_smem_per_block: 227 * 1024, sm_count: 132 }
    }
}

/// A configuration that breaks one of the family's declared constraints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{family}: constraint `{constraint}` does not hold")]
pub struct Violation {
    pub family: &'static str,
    pub constraint: &'static str,
}

/// A declared parameter and its candidate values as written.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    pub name: &'static str,
    pub candidates: &'static [&'static str],
    /// Declared `#[mode]`: its values switch between code paths (the tuner's descent starts from
    /// each of them).
    pub mode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Dim3 {
    pub x: u32,
    pub y: u32,
    pub z: u32,
}

impl From<u32> for Dim3 {
    fn from(x: u32) -> Self {
        Dim3 { x, y: 1, z: 1 }
    }
}

impl From<(u32, u32, u32)> for Dim3 {
    fn from((x, y, z): (u32, u32, u32)) -> Self {
        Dim3 { x, y, z }
    }
}

/// How one kernel of a family is launched for a given configuration and shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunchSpec {
    pub kernel: &'static str,
    pub grid: Dim3,
    pub block: Dim3,
    pub smem_bytes: u32,
}

/// NVRTC options every generated kernel is compiled with.
pub fn nvrtc_options(arch: &str) -> Vec<String> {
    vec![format!("--gpu-architecture={arch}"), "--std=c++17".into(), "-default-device".into()]
}

/// The common device helpers every family includes (bf16 conversion, warp reductions).
pub const COMMON_SOURCE: &str = include_str!("../cuda/common.cuh");

pub trait KernelFamily {
    type Config: Clone + Copy + fmt::Debug + PartialEq + Eq + std::hash::Hash + Serialize + DeserializeOwned + Send + Sync;
    type Shape: Shape;
    const NAME: &'static str;
    const SOURCE_FILE: &'static str;
    const SOURCE: &'static str;
    const PARAMS: &'static [ParamInfo];
    const KERNELS: &'static [&'static str];

    /// Every combination of candidate values that meets the constraints naming neither the shape
    /// nor the limits (those hold or fail for the configuration alone), in declaration order.
    fn space() -> Vec<Self::Config>;
    /// The declared constraints, in order; the first that fails is reported.
    fn check(config: &Self::Config, shape: &Self::Shape, limits: &DeviceLimits) -> Result<(), Violation>;
    fn param_constants(config: &Self::Config) -> Vec<(&'static str, Constant)>;
    /// The kernels in launch order with their geometry (a grid may follow the device's SM count).
    fn launches(config: &Self::Config, shape: &Self::Shape, limits: &DeviceLimits) -> Vec<LaunchSpec>;

    /// The configurations that meet every constraint for this shape and device.
    fn valid_space(shape: &Self::Shape, limits: &DeviceLimits) -> Vec<Self::Config> {
        Self::space().into_iter().filter(|c| Self::check(c, shape, limits).is_ok()).collect()
    }

    /// The configuration used when nothing is tuned: the first valid one in declaration order.
    fn default_config(shape: &Self::Shape, limits: &DeviceLimits) -> Result<Self::Config, ShapeError> {
        shape.validate()?;
        Self::valid_space(shape, limits)
            .into_iter()
            .next()
            .ok_or_else(|| ShapeError { family: Self::NAME, reason: "no configuration meets the constraints".into() })
    }

    /// Full CUDA source: a prelude of constants, the common helpers, then the family's file.
    fn render(config: &Self::Config, shape: &Self::Shape) -> String {
        let mut out = format!(
            "// generated by sdec: family {}, config {}\n",
            Self::NAME,
            serde_json::to_string(config).unwrap_or_default()
        );
        for (name, value) in Self::param_constants(config).iter().chain(shape.baked().iter()) {
            out.push_str(&value.declaration(name));
        }
        out.push_str(COMMON_SOURCE);
        out.push_str(&format!("// ---- {} ----\n", Self::SOURCE_FILE));
        out.push_str(Self::SOURCE);
        out
    }

    /// Stable identity of a compiled kernel: hash of source, NVRTC options and target arch.
    fn key(config: &Self::Config, shape: &Self::Shape, arch: &str) -> KernelKey {
        KernelKey::new(&Self::render(config, shape), &nvrtc_options(arch), arch)
    }
}

/// Hash of everything of a family that the generated code depends on: its CUDA file, the common
/// helpers, its parameters and candidates, its kernels and the NVRTC options. The tuning cache
/// trusts an entry only under this hash (`sdec kernels list --json` prints it per family).
pub fn source_hash<F: KernelFamily>() -> String {
    let mut h = Sha256::new();
    let mut part = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    part(F::NAME);
    part(F::SOURCE_FILE);
    part(COMMON_SOURCE);
    part(F::SOURCE);
    for p in F::PARAMS {
        part(p.name);
        p.candidates.iter().for_each(|c| part(c));
    }
    F::KERNELS.iter().for_each(|k| part(k));
    part(&nvrtc_options("").join(" "));
    hex::encode(&h.finalize()[..16])
}

/// Hex SHA-256 of (source, options, arch); stable across runs and machines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct KernelKey(pub String);

impl KernelKey {
    pub fn new(source: &str, options: &[String], arch: &str) -> Self {
        let mut hasher = Sha256::new();
        for part in [source, &options.join(" "), arch] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        KernelKey(hex::encode(hasher.finalize()))
    }
}

impl fmt::Display for KernelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
