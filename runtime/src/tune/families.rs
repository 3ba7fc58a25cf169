//! What the tuner needs of each family on the GPU: a small shape to verify a configuration on
//! (same baked values, so the same compiled kernel; run-time sizes small, so the reference is
//! cheap), the inputs of the timed shape, one timed run, and the bytes the shape must move.

use cudarc::driver::{CudaSlice, DeviceRepr, ValidAsZeroBits};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_autotune::Tunable;
use sdec_kernels::attention::{AttentionShape, ChunkAttention, ChunkShape, DecodeAttention, GatherAttention, GatherShape};
use sdec_kernels::block_score::{BlockScore, BlockScoreShape};
use sdec_kernels::glue::{Argmax, KvAppend, RmsNorm, Rope, RowShape, Swiglu};
use sdec_kernels::linear::{Linear, LinearIn, LinearOut, LinearShape};
use sdec_kernels::logit_codes;
use sdec_kernels::topk::{Topk, TopkShape};

use crate::bench::{time_launch_samples, TimingPolicy};
use crate::error::{CudaContextExt, Result};
use crate::fuzz::inputs::rope_inv_freq;
use crate::fuzz::FuzzFamily;
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, ChunkKernel, DecodeKernel, GatherKernel};
use crate::launch::block_score::BlockScoreKernel;
use crate::launch::glue::{self, ArgmaxScratch, GlueKernel};
use crate::launch::linear::{LinearDst, LinearKernel, LinearSrc, RopeDst};
use crate::launch::topk::{TopkKernel, TopkScratch};
use crate::launch::{upload, zeros};

/// A family the GPU tuner can measure.
pub trait TuneFamily: FuzzFamily + Tunable {
    /// Device inputs and outputs of the timed shape, allocated once per entry.
    type Bench;
    /// The shape `config` is verified on against the reference.
    fn verify_shape(shape: &Self::Shape, config: &Self::Config) -> Self::Shape;
    fn bench_setup(gpu: &Gpu, shape: &Self::Shape, rng: &mut ChaCha8Rng) -> Result<Self::Bench>;
    /// Times `config` on the bench inputs: every run's time in microseconds.
    fn time_config(gpu: &Gpu, bench: &mut Self::Bench, config: &Self::Config, shape: &Self::Shape, policy: TimingPolicy) -> Result<Vec<f64>>;
    /// Bytes the shape must move at the least (the byte floor's numerator).
    fn bytes(shape: &Self::Shape) -> f64;
}

/// Most copies of an input kept to rotate through.
const MAX_COPIES: usize = 8;

/// How runs are kept from hitting in L2: `copies` of the inputs rotated through (as many as make
/// four times L2, at most MAX_COPIES), and where those are not enough to exceed twice L2, a
/// buffer cleared between runs (outside the timing). With copies for twice L2, the b7 o
/// projection (three copies of its 33.5 MB weights) timed 16.4 ± 1.7–3.0 µs and descent's choice
/// missed its winner by 10%; with four times L2 (six copies) ± 0.3–0.5, and descent landed
/// within 3% on every entry (docs/results/tune.md, session 21).
///
/// Where the copies alone keep L2 cold, each timed run is several launches, one a copy, up to
/// about [`RUN_BYTES`] moved: a lone launch of a short kernel (15–25 µs) carries the ~3 µs between
/// the start event and the kernel, whose jitter gave it a spread of 4–7% and widened the choice
/// rule's window past configurations 5% slower (docs/results/tune.md, session 31).
pub struct Rotation {
    pub copies: usize,
    launches: usize,
    flush: Option<CudaSlice<u8>>,
}

/// Bytes a timed run moves at least, where the copies allow it (~60 µs at the H100's copy rate).
const RUN_BYTES: usize = 180 << 20;

impl Rotation {
    pub fn new(gpu: &Gpu, bytes_per_run: usize) -> Result<Rotation> {
        let l2 = gpu.info.l2_bytes.max(1) as usize;
        let copies = (4 * l2).div_ceil(bytes_per_run.max(1)).clamp(1, MAX_COPIES);
        let flush = if copies * bytes_per_run < 2 * l2 { Some(zeros::<u8>(gpu, 2 * l2, "L2 flush buffer")?) } else { None };
        Ok(Rotation { copies, launches: launches_per_run(bytes_per_run, copies, flush.is_some()), flush })
    }

    /// Times `f(i)` (each sample: the time of one launch); input copy `i % copies` should be used
    /// by launch `i`.
    pub fn time<F: FnMut(usize) -> Result<()>>(&mut self, gpu: &Gpu, policy: TimingPolicy, f: F) -> Result<Vec<f64>> {
        let flush = &mut self.flush;
        time_launch_samples(
            gpu,
            policy,
            self.launches,
            || match flush.as_mut() {
                Some(buf) => gpu.stream.memset_zeros(buf).during("clearing L2 between runs"),
                None => Ok(()),
            },
            f,
        )
    }
}

/// Launches in a timed run of `bytes_per_run` each: consecutive launches on distinct copies miss
/// L2 only where the copies together exceed it twice over, that is, where no flush is needed
/// between runs. At most the copies (MAX_COPIES): the spin ahead of each run (bench::AHEAD_NS,
/// 100 µs) still covers the host's enqueue of them all.
fn launches_per_run(bytes_per_run: usize, copies: usize, flushed: bool) -> usize {
    if flushed {
        1
    } else {
        RUN_BYTES.div_ceil(bytes_per_run.max(1)).clamp(1, copies)
    }
}

/// Random bf16 in about [-2, 2), never zero.
fn random_bf16(rng: &mut ChaCha8Rng, len: usize) -> Vec<u16> {
    (0..len)
        .map(|_| {
            let r: u16 = rng.gen();
            (r & 0x807f) | ((126 + (r >> 7) % 3) << 7)
        })
        .collect()
}

/// A device buffer of `len` elements filled with a random chunk repeated (device-side copies, so
/// gigabytes of K/V cost no host time). The timing does not depend on the values.
fn device_fill<T: DeviceRepr + ValidAsZeroBits + Clone>(gpu: &Gpu, chunk: &[T], len: usize, what: &str) -> Result<CudaSlice<T>> {
    let mut buf = zeros::<T>(gpu, len, what)?;
    let src = upload(gpu, &chunk[..chunk.len().min(len.max(1))], what)?;
    let step = src.len();
    let mut at = 0;
    while at < len {
        let n = step.min(len - at);
        gpu.stream.memcpy_dtod(&src.slice(..n), &mut buf.slice_mut(at..at + n)).during(&format!("filling {what}"))?;
        at += n;
    }
    Ok(buf)
}

fn bf16_buffer(gpu: &Gpu, rng: &mut ChaCha8Rng, len: usize, what: &str) -> Result<CudaSlice<u16>> {
    device_fill(gpu, &random_bf16(rng, len.min((1 << 22) + 4099)), len, what)
}

fn f32_buffer(gpu: &Gpu, rng: &mut ChaCha8Rng, len: usize, what: &str) -> Result<CudaSlice<f32>> {
    let chunk: Vec<f32> = (0..len.min((1 << 22) + 4099)).map(|_| rng.gen::<f32>() * 8.0 - 4.0).collect();
    device_fill(gpu, &chunk, len, what)
}

/// A context for verification that spans two and a half splits, with a ragged tail.
fn verify_context(split_tokens: u32) -> u32 {
    split_tokens * 5 / 2 + 37
}

/// Copies of random q, K and V that the timed runs rotate through (dense attention reads all of
/// K and V, so each run must find them outside L2).
pub struct RotatedQkv {
    q: Vec<CudaSlice<u16>>,
    k: Vec<CudaSlice<u16>>,
    v: Vec<CudaSlice<u16>>,
    rot: Rotation,
}

impl RotatedQkv {
    fn new(gpu: &Gpu, rng: &mut ChaCha8Rng, q_len: usize, kv_len: usize, bytes_per_run: f64) -> Result<Self> {
        let rot = Rotation::new(gpu, bytes_per_run as usize)?;
        let (mut q, mut k, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rot.copies {
            q.push(bf16_buffer(gpu, rng, q_len, "q")?);
            k.push(bf16_buffer(gpu, rng, kv_len, "K cache")?);
            v.push(bf16_buffer(gpu, rng, kv_len, "V cache")?);
        }
        Ok(RotatedQkv { q, k, v, rot })
    }

    /// Times `launch(inputs of copy i % copies)`.
    fn time(&mut self, gpu: &Gpu, policy: TimingPolicy, scale: f32, mut launch: impl FnMut(&AttentionInputs) -> Result<()>) -> Result<Vec<f64>> {
        let RotatedQkv { q, k, v, rot } = self;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| {
            let c = i % copies;
            launch(&AttentionInputs { q: &q[c], k: &k[c], v: &v[c], scale })
        })
    }
}

pub struct DecodeBench {
    qkv: RotatedQkv,
    out: CudaSlice<u16>,
    scores: CudaSlice<f32>,
}

impl TuneFamily for DecodeAttention {
    type Bench = DecodeBench;

    fn verify_shape(s: &AttentionShape, c: &Self::Config) -> AttentionShape {
        let context = verify_context(c.split_tokens);
        AttentionShape { batch: 1, kv_heads: s.kv_heads.min(2), context, capacity: context + 5, ..s.clone() }
    }

    fn bench_setup(gpu: &Gpu, s: &AttentionShape, rng: &mut ChaCha8Rng) -> Result<DecodeBench> {
        let q_len = (s.batch * s.kv_heads * s.group * s.head_dim) as usize;
        let kv_len = (s.batch * s.kv_heads) as usize * s.capacity as usize * s.head_dim as usize;
        let qkv = RotatedQkv::new(gpu, rng, q_len, kv_len, Self::bytes(s))?;
        let scores = zeros(gpu, (s.batch * s.kv_heads * s.n_blocks()) as usize, "block scores")?;
        Ok(DecodeBench { qkv, out: zeros(gpu, q_len, "attention output")?, scores })
    }

    fn time_config(gpu: &Gpu, b: &mut DecodeBench, config: &Self::Config, s: &AttentionShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let mut kernel = DecodeKernel::new(gpu, *config, s.clone())?;
        let DecodeBench { qkv, out, scores } = b;
        qkv.time(gpu, policy, 1.0 / (s.head_dim as f32).sqrt(), |inputs| kernel.launch(gpu, inputs, out, scores))
    }

    fn bytes(s: &AttentionShape) -> f64 {
        let kv = (s.batch * s.kv_heads) as f64 * s.context as f64 * s.head_dim as f64 * 2.0 * 2.0;
        kv + if s.emit_scores { (s.batch * s.kv_heads * s.n_blocks()) as f64 * 4.0 } else { 0.0 }
    }
}

pub struct ChunkBench {
    qkv: RotatedQkv,
    out: CudaSlice<u16>,
    lse: CudaSlice<f32>,
    /// Where a shape with `logits` writes them.
    logits: CudaSlice<u8>,
}

impl TuneFamily for ChunkAttention {
    type Bench = ChunkBench;

    fn verify_shape(s: &ChunkShape, c: &Self::Config) -> ChunkShape {
        let context = verify_context(c.split_tokens);
        ChunkShape { batch: 1, kv_heads: s.kv_heads.min(2), context, capacity: context + 5, ..s.clone() }
    }

    fn bench_setup(gpu: &Gpu, s: &ChunkShape, rng: &mut ChaCha8Rng) -> Result<ChunkBench> {
        let rows = (s.batch * s.qrows * s.kv_heads * s.group) as usize;
        let kv_len = (s.batch * s.kv_heads) as usize * s.capacity as usize * s.head_dim as usize;
        let qkv = RotatedQkv::new(gpu, rng, rows * s.head_dim as usize, kv_len, Self::bytes(s))?;
        let logits_len = if s.logits { logit_codes::bytes((s.batch * s.kv_heads) as usize, s.rows() as usize, s.capacity as usize) } else { 1 };
        Ok(ChunkBench {
            qkv,
            out: zeros(gpu, rows * s.head_dim as usize, "attention output")?,
            lse: zeros(gpu, rows, "log-sum-exp")?,
            logits: zeros(gpu, logits_len, "chunk logit codes")?,
        })
    }

    fn time_config(gpu: &Gpu, b: &mut ChunkBench, config: &Self::Config, s: &ChunkShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let mut kernel = ChunkKernel::new(gpu, *config, s.clone())?;
        let ChunkBench { qkv, out, lse, logits } = b;
        qkv.time(gpu, policy, 1.0 / (s.head_dim as f32).sqrt(), |inputs| {
            kernel.launch_at(gpu, inputs, s.context, out, &mut lse.slice_mut(..), s.logits.then(|| logits.slice_mut(..)).as_mut())
        })
    }

    /// K and V read once, and the logit codes written where the shape writes them.
    fn bytes(s: &ChunkShape) -> f64 {
        let kv = (s.batch * s.kv_heads) as f64 * s.context as f64 * s.head_dim as f64 * 2.0 * 2.0;
        let logits = if s.logits { logit_codes::bytes((s.batch * s.kv_heads) as usize, s.rows() as usize, s.context as usize) as f64 } else { 0.0 };
        kv + logits
    }
}

pub struct GatherBench {
    q: CudaSlice<u16>,
    k: CudaSlice<u16>,
    v: CudaSlice<u16>,
    ids: Vec<CudaSlice<i32>>,
    out: CudaSlice<u16>,
    /// The dense heads' block scores, where the shape emits them (LycheeDecode's layers).
    scores: Option<CudaSlice<f32>>,
    rot: Rotation,
}

impl TuneFamily for GatherAttention {
    type Bench = GatherBench;

    fn verify_shape(s: &GatherShape, c: &Self::Config) -> GatherShape {
        let context = verify_context(c.split_tokens);
        let kv_heads = s.kv_heads.min(2);
        let any_dense = s.dense.iter().any(|d| *d);
        let all_dense = s.dense.iter().all(|d| *d);
        let dense = (0..kv_heads).map(|h| all_dense || (any_dense && h == 0)).collect();
        let entries = s.entries.min(context.div_ceil(s.gather_block));
        GatherShape { batch: 1, kv_heads, context, capacity: context + 5, entries, dense, ..s.clone() }
    }

    fn bench_setup(gpu: &Gpu, s: &GatherShape, rng: &mut ChaCha8Rng) -> Result<GatherBench> {
        let q_len = (s.batch * s.kv_heads * s.group * s.head_dim) as usize;
        let kv_len = (s.batch * s.kv_heads) as usize * s.capacity as usize * s.head_dim as usize;
        // The K/V of one launch is far beyond L2 at the preset's sizes; the id lists rotate.
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let units = s.context.div_ceil(s.gather_block) as usize;
        let mut ids = Vec::new();
        for _ in 0..rot.copies {
            let mut list = Vec::with_capacity((s.batch * s.kv_heads * s.entries) as usize);
            for _ in 0..s.batch * s.kv_heads {
                if s.runs {
                    list.extend(lychee_layout_list(rng, s.context, s.entries));
                    continue;
                }
                // Distinct ids per head, ascending (as top-k returns them).
                let mut picked = rand::seq::index::sample(rng, units, (s.entries as usize).min(units)).into_vec();
                picked.sort_unstable();
                picked.resize(s.entries as usize, usize::MAX);
                list.extend(picked.into_iter().map(|i| if i == usize::MAX { -1 } else { i as i32 }));
            }
            ids.push(upload(gpu, &list, "gather entries")?);
        }
        Ok(GatherBench {
            q: bf16_buffer(gpu, rng, q_len, "q")?,
            k: bf16_buffer(gpu, rng, kv_len, "K cache")?,
            v: bf16_buffer(gpu, rng, kv_len, "V cache")?,
            ids,
            out: zeros(gpu, q_len, "attention output")?,
            scores: if s.emit_scores { Some(zeros(gpu, (s.batch * s.kv_heads * s.n_blocks()) as usize, "block scores")?) } else { None },
            rot,
        })
    }

    fn time_config(gpu: &Gpu, b: &mut GatherBench, config: &Self::Config, s: &GatherShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let mut kernel = GatherKernel::new(gpu, *config, s.clone())?;
        let scale = 1.0 / (s.head_dim as f32).sqrt();
        let GatherBench { q, k, v, ids, out, scores, rot } = b;
        let inputs = AttentionInputs { q, k, v, scale };
        let copies = rot.copies;
        rot.time(gpu, policy, |i| kernel.launch_at(gpu, &inputs, &ids[i % copies].slice(..), s.context, out, scores.as_mut()))
    }

    fn bytes(s: &GatherShape) -> f64 {
        let dense = s.dense.iter().filter(|d| **d).count() as f64;
        let sparse = s.kv_heads as f64 - dense;
        let tokens = s.batch as f64 * (dense * s.context as f64 + sparse * (s.entries as f64 * s.gather_block as f64).min(s.context as f64));
        let scores = if s.emit_scores { (s.batch as f64 * dense * s.n_blocks() as f64) * 4.0 } else { 0.0 };
        tokens * s.head_dim as f64 * 2.0 * 2.0 + scores
    }
}

/// A token list as LycheeDecode's index lays it out (cuda/lychee.cu): the first 128 tokens, the
/// last 256, then blocks of 64 picked at random, ascending, in the slots left; -1 where a slot
/// repeats a token (a block inside the sink or the window) or is left over.
fn lychee_layout_list(rng: &mut ChaCha8Rng, context: u32, entries: u32) -> Vec<i32> {
    const SINK: u32 = 128;
    const RECENT: u32 = 256;
    const BLOCK: u32 = 64;
    let (sink, recent) = if entries >= SINK + RECENT { (SINK, RECENT) } else { (0, 0) };
    let recent_begin = sink.max(context.saturating_sub(recent));
    let mut list: Vec<i32> = (0..sink).map(|t| if t < context { t as i32 } else { -1 }).collect();
    list.extend((0..recent).map(|i| context as i64 - recent as i64 + i as i64).map(|t| if t < recent_begin as i64 { -1 } else { t as i32 }));
    let blocks = context.div_ceil(BLOCK) as usize;
    let mut picked = rand::seq::index::sample(rng, blocks, (((entries - sink - recent) / BLOCK) as usize).min(blocks)).into_vec();
    picked.sort_unstable();
    for b in picked {
        list.extend((0..BLOCK).map(|i| {
            let t = b as u32 * BLOCK + i;
            if t < sink || t >= recent_begin || t >= context { -1 } else { t as i32 }
        }));
    }
    list.resize(entries as usize, -1);
    list
}

pub struct TopkBench {
    scores: Vec<CudaSlice<f32>>,
    idx: CudaSlice<i32>,
    val: CudaSlice<f32>,
    rot: Rotation,
}

impl TuneFamily for Topk {
    type Bench = TopkBench;

    fn verify_shape(s: &TopkShape, _: &Self::Config) -> TopkShape {
        TopkShape { rows: s.rows.min(2), ..s.clone() }
    }

    fn bench_setup(gpu: &Gpu, s: &TopkShape, rng: &mut ChaCha8Rng) -> Result<TopkBench> {
        let len = (s.rows * s.n) as usize;
        let rot = Rotation::new(gpu, len * 4)?;
        // Fully random rows (the radix passes depend on the values); copies share them.
        let host: Vec<f32> = (0..len).map(|_| rng.gen::<f32>() * 8.0 - 4.0).collect();
        let scores = (0..rot.copies).map(|_| upload(gpu, &host, "top-k scores")).collect::<Result<_>>()?;
        let out = (s.rows * s.k) as usize;
        Ok(TopkBench { scores, idx: zeros(gpu, out, "top-k indices")?, val: zeros(gpu, out, "top-k values")?, rot })
    }

    fn time_config(gpu: &Gpu, b: &mut TopkBench, config: &Self::Config, s: &TopkShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = TopkKernel::new(gpu, *config, s.clone())?;
        let mut scratch = TopkScratch::new(gpu, s, config)?;
        let TopkBench { scores, idx, val, rot } = b;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| kernel.launch(gpu, &scores[i % copies], idx, val, &mut scratch))
    }

    fn bytes(s: &TopkShape) -> f64 {
        (s.rows * s.n) as f64 * 4.0 + (s.rows * s.k) as f64 * 8.0
    }
}

pub struct BlockScoreBench {
    q: CudaSlice<u16>,
    k: CudaSlice<u16>,
    scores: CudaSlice<f32>,
    rot: Rotation,
}

impl TuneFamily for BlockScore {
    type Bench = BlockScoreBench;

    fn verify_shape(s: &BlockScoreShape, _: &Self::Config) -> BlockScoreShape {
        BlockScoreShape { batch: 1, kv_heads: s.kv_heads.min(2), context: 3037, capacity: 3042, ..s.clone() }
    }

    fn bench_setup(gpu: &Gpu, s: &BlockScoreShape, rng: &mut ChaCha8Rng) -> Result<BlockScoreBench> {
        let heads = (s.batch * s.kv_heads) as usize;
        Ok(BlockScoreBench {
            q: bf16_buffer(gpu, rng, heads * (s.group * s.head_dim) as usize, "q")?,
            k: bf16_buffer(gpu, rng, heads * s.capacity as usize * s.head_dim as usize, "K cache")?,
            scores: zeros(gpu, heads * s.n_blocks() as usize, "block scores")?,
            rot: Rotation::new(gpu, Self::bytes(s) as usize)?,
        })
    }

    fn time_config(gpu: &Gpu, b: &mut BlockScoreBench, config: &Self::Config, s: &BlockScoreShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = BlockScoreKernel::new(gpu, *config, s.clone())?;
        let BlockScoreBench { q, k, scores, rot } = b;
        rot.time(gpu, policy, |_| kernel.launch(gpu, q, k, scores))
    }

    fn bytes(s: &BlockScoreShape) -> f64 {
        let heads = (s.batch * s.kv_heads) as f64;
        heads * s.context as f64 * s.head_dim as f64 * 2.0 + heads * s.n_blocks() as f64 * 4.0
    }
}

/// Glue verification: at most two rows (kv append: its rows are batch × KV heads; a small cache).
fn glue_verify(s: &RowShape) -> RowShape {
    RowShape { rows: if s.capacity > 0 { s.rows } else { s.rows.min(2) }, capacity: s.capacity.min(1024), ..s.clone() }
}

pub struct RmsNormBench {
    x: Vec<CudaSlice<f32>>,
    w: CudaSlice<u16>,
    y: CudaSlice<u16>,
    rot: Rotation,
}

impl TuneFamily for RmsNorm {
    type Bench = RmsNormBench;
    fn verify_shape(s: &RowShape, _: &Self::Config) -> RowShape {
        glue_verify(s)
    }
    fn bench_setup(gpu: &Gpu, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<RmsNormBench> {
        let len = (s.rows * s.n) as usize;
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let x = (0..rot.copies).map(|_| f32_buffer(gpu, rng, len, "x")).collect::<Result<_>>()?;
        Ok(RmsNormBench { x, w: bf16_buffer(gpu, rng, s.n as usize, "weight")?, y: zeros(gpu, len, "rmsnorm output")?, rot })
    }
    fn time_config(gpu: &Gpu, b: &mut RmsNormBench, config: &Self::Config, s: &RowShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = GlueKernel::new::<RmsNorm>(gpu, config, s)?;
        let RmsNormBench { x, w, y, rot } = b;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| glue::rmsnorm(gpu, &kernel, &x[i % copies], w, y, s.n as i32, 1e-5))
    }
    fn bytes(s: &RowShape) -> f64 {
        (s.rows * s.n) as f64 * (4.0 + 2.0) + s.n as f64 * 2.0
    }
}

pub struct RopeBench {
    x: Vec<CudaSlice<u16>>,
    pos: CudaSlice<i32>,
    inv_freq: CudaSlice<f64>,
    rot: Rotation,
}

impl TuneFamily for Rope {
    type Bench = RopeBench;
    fn verify_shape(s: &RowShape, _: &Self::Config) -> RowShape {
        glue_verify(s)
    }
    fn bench_setup(gpu: &Gpu, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<RopeBench> {
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let x = (0..rot.copies).map(|_| bf16_buffer(gpu, rng, (s.rows * s.n) as usize, "rope input")).collect::<Result<_>>()?;
        let pos: Vec<i32> = (0..s.rows).map(|_| rng.gen_range(0..131_072)).collect();
        let d = s.head_dim.max(2) as usize;
        let inv_freq = rope_inv_freq(d, 500_000.0);
        Ok(RopeBench { x, pos: upload(gpu, &pos, "positions")?, inv_freq: upload(gpu, &inv_freq, "inv_freq")?, rot })
    }
    fn time_config(gpu: &Gpu, b: &mut RopeBench, config: &Self::Config, s: &RowShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = GlueKernel::new::<Rope>(gpu, config, s)?;
        let RopeBench { x, pos, inv_freq, rot } = b;
        let copies = rot.copies;
        let heads = (s.n / s.head_dim.max(1)) as i32;
        rot.time(gpu, policy, |i| glue::rope(gpu, &kernel, &mut x[i % copies], pos, inv_freq, heads, s.head_dim as i32))
    }
    fn bytes(s: &RowShape) -> f64 {
        (s.rows * s.n) as f64 * 2.0 * 2.0
    }
}

pub struct SwigluBench {
    gate_up: Vec<CudaSlice<u16>>,
    out: CudaSlice<u16>,
    rot: Rotation,
}

impl TuneFamily for Swiglu {
    type Bench = SwigluBench;
    fn verify_shape(s: &RowShape, _: &Self::Config) -> RowShape {
        glue_verify(s)
    }
    fn bench_setup(gpu: &Gpu, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<SwigluBench> {
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let gate_up = (0..rot.copies).map(|_| bf16_buffer(gpu, rng, (s.rows * 2 * s.n) as usize, "gate/up")).collect::<Result<_>>()?;
        Ok(SwigluBench { gate_up, out: zeros(gpu, (s.rows * s.n) as usize, "swiglu output")?, rot })
    }
    fn time_config(gpu: &Gpu, b: &mut SwigluBench, config: &Self::Config, s: &RowShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = GlueKernel::new::<Swiglu>(gpu, config, s)?;
        let SwigluBench { gate_up, out, rot } = b;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| glue::swiglu(gpu, &kernel, &gate_up[i % copies], out, s.n as i32))
    }
    fn bytes(s: &RowShape) -> f64 {
        (s.rows * s.n) as f64 * 3.0 * 2.0
    }
}

pub struct KvAppendBench {
    k_new: Vec<CudaSlice<u16>>,
    v_new: CudaSlice<u16>,
    k_cache: CudaSlice<u16>,
    v_cache: CudaSlice<u16>,
    pos: CudaSlice<i32>,
    rot: Rotation,
}

impl TuneFamily for KvAppend {
    type Bench = KvAppendBench;
    fn verify_shape(s: &RowShape, _: &Self::Config) -> RowShape {
        glue_verify(s)
    }
    fn bench_setup(gpu: &Gpu, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<KvAppendBench> {
        let (rows, d, cap) = (s.rows as usize, s.head_dim as usize, s.capacity.max(1) as usize);
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let k_new = (0..rot.copies).map(|_| bf16_buffer(gpu, rng, rows * d, "k")).collect::<Result<_>>()?;
        // Batch 1: every row is a KV head of the one sequence.
        Ok(KvAppendBench {
            k_new,
            v_new: bf16_buffer(gpu, rng, rows * d, "v")?,
            k_cache: zeros(gpu, rows * cap * d, "K cache")?,
            v_cache: zeros(gpu, rows * cap * d, "V cache")?,
            pos: upload(gpu, &[rng.gen_range(0..cap as i32)], "positions")?,
            rot,
        })
    }
    fn time_config(gpu: &Gpu, b: &mut KvAppendBench, config: &Self::Config, s: &RowShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = GlueKernel::new::<KvAppend>(gpu, config, s)?;
        let KvAppendBench { k_new, v_new, k_cache, v_cache, pos, rot } = b;
        let copies = rot.copies;
        let (kv_heads, cap, d) = (s.rows as i32, s.capacity.max(1) as i32, s.head_dim as i32);
        rot.time(gpu, policy, |i| glue::kv_append(gpu, &kernel, &k_new[i % copies], v_new, k_cache, v_cache, pos, kv_heads, cap, d))
    }
    fn bytes(s: &RowShape) -> f64 {
        (s.rows * s.head_dim) as f64 * 2.0 * 2.0 * 2.0
    }
}

pub struct ArgmaxBench {
    logits: Vec<CudaSlice<f32>>,
    out: CudaSlice<i32>,
    scratch: ArgmaxScratch,
    rot: Rotation,
}

impl TuneFamily for Argmax {
    type Bench = ArgmaxBench;
    fn verify_shape(s: &RowShape, _: &Self::Config) -> RowShape {
        glue_verify(s)
    }
    fn bench_setup(gpu: &Gpu, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<ArgmaxBench> {
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let logits = (0..rot.copies).map(|_| f32_buffer(gpu, rng, (s.rows * s.n) as usize, "logits")).collect::<Result<_>>()?;
        Ok(ArgmaxBench { logits, out: zeros(gpu, s.rows as usize, "argmax output")?, scratch: ArgmaxScratch::new(gpu, s.rows as usize)?, rot })
    }
    fn time_config(gpu: &Gpu, b: &mut ArgmaxBench, config: &Self::Config, s: &RowShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = GlueKernel::new::<Argmax>(gpu, config, s)?;
        let ArgmaxBench { logits, out, scratch, rot } = b;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| glue::argmax(gpu, &kernel, &logits[i % copies], out, s.n as i32, scratch))
    }
    fn bytes(s: &RowShape) -> f64 {
        (s.rows * s.n) as f64 * 4.0
    }
}

pub struct LinearBench {
    w: Vec<CudaSlice<u16>>,
    x_bf16: CudaSlice<u16>,
    x_f32: CudaSlice<f32>,
    gamma: CudaSlice<u16>,
    y_bf16: CudaSlice<u16>,
    y_f32: CudaSlice<f32>,
    rope: Option<QkvCache>,
    rot: Rotation,
}

/// The `rope_append` output's KV cache (a step's rows, one sequence each, at positions of a
/// small cache), positions and frequencies.
struct QkvCache {
    k_cache: CudaSlice<u16>,
    v_cache: CudaSlice<u16>,
    pos: CudaSlice<i32>,
    inv_freq: CudaSlice<f64>,
    capacity: usize,
}

impl QkvCache {
    const CAPACITY: usize = 64;

    fn new(gpu: &Gpu, s: &LinearShape, rng: &mut ChaCha8Rng) -> Result<Option<QkvCache>> {
        let LinearOut::RopeAppend { head_dim, kv_heads } = s.out else { return Ok(None) };
        let cache_len = (s.batch * head_dim * kv_heads) as usize * Self::CAPACITY;
        let pos: Vec<i32> = (0..s.batch).map(|_| rng.gen_range(0..Self::CAPACITY as i32)).collect();
        let inv_freq = rope_inv_freq(head_dim as usize, 500_000.0);
        Ok(Some(QkvCache {
            k_cache: bf16_buffer(gpu, rng, cache_len, "K cache")?,
            v_cache: bf16_buffer(gpu, rng, cache_len, "V cache")?,
            pos: upload(gpu, &pos, "positions")?,
            inv_freq: upload(gpu, &inv_freq, "inv_freq")?,
            capacity: Self::CAPACITY,
        }))
    }
}

impl TuneFamily for Linear {
    type Bench = LinearBench;
    fn verify_shape(s: &LinearShape, _: &Self::Config) -> LinearShape {
        // Same baked batch and modes; a smaller matrix with a ragged row count (whole row pairs
        // for a SwiGLU output; for q|k|v, one KV head with its group's q heads, at most 4).
        let out_dim = match s.out {
            LinearOut::SwiGlu => s.out_dim.min(1000) + 6,
            LinearOut::RopeAppend { head_dim, kv_heads } => {
                let group = (s.out_dim / head_dim - 2 * kv_heads) / kv_heads;
                (group.min(4) + 2) * head_dim
            }
            _ => s.out_dim.min(1000) + 3,
        };
        let out = match s.out {
            LinearOut::RopeAppend { head_dim, .. } => LinearOut::RopeAppend { head_dim, kv_heads: 1 },
            other => other,
        };
        LinearShape { out_dim, in_dim: s.in_dim.min(2048), out, ..s.clone() }
    }
    fn bench_setup(gpu: &Gpu, s: &LinearShape, rng: &mut ChaCha8Rng) -> Result<LinearBench> {
        let rot = Rotation::new(gpu, Self::bytes(s) as usize)?;
        let w = (0..rot.copies).map(|_| bf16_buffer(gpu, rng, (s.out_dim * s.in_dim) as usize, "weights")).collect::<Result<_>>()?;
        let (x_len, y_len) = ((2 * s.batch * s.in_dim) as usize, (s.batch * s.out_dim) as usize);
        Ok(LinearBench {
            w,
            x_bf16: bf16_buffer(gpu, rng, x_len, "activations")?,
            x_f32: f32_buffer(gpu, rng, x_len, "residual")?,
            gamma: bf16_buffer(gpu, rng, s.in_dim as usize, "norm weights")?,
            y_bf16: zeros(gpu, y_len, "output")?,
            y_f32: zeros(gpu, y_len, "output")?,
            rope: QkvCache::new(gpu, s, rng)?,
            rot,
        })
    }
    fn time_config(gpu: &Gpu, b: &mut LinearBench, config: &Self::Config, s: &LinearShape, policy: TimingPolicy) -> Result<Vec<f64>> {
        let kernel = LinearKernel::new(gpu, *config, s.clone())?;
        let LinearBench { w, x_bf16, x_f32, gamma, y_bf16, y_f32, rope, rot } = b;
        let copies = rot.copies;
        rot.time(gpu, policy, |i| {
            let src = match s.input {
                LinearIn::Bf16 => LinearSrc::Bf16(x_bf16),
                LinearIn::F32 => LinearSrc::F32(x_f32),
                LinearIn::RmsNorm => LinearSrc::RmsNorm { x: x_f32, gamma, eps: 1e-5 },
            };
            let dst = match (s.out, rope.as_mut()) {
                (LinearOut::Bf16, _) => LinearDst::Bf16(&mut *y_bf16),
                (LinearOut::F32 | LinearOut::AddF32 | LinearOut::SwiGlu, _) => LinearDst::F32(&mut *y_f32),
                (LinearOut::RopeAppend { .. }, Some(r)) => LinearDst::RopeAppend(RopeDst {
                    q: &mut *y_bf16,
                    k_cache: &mut r.k_cache,
                    v_cache: &mut r.v_cache,
                    pos: &r.pos,
                    inv_freq: &r.inv_freq,
                    capacity: r.capacity,
                    rows_per_seq: 1,
                }),
                (LinearOut::RopeAppend { .. }, None) => return Err(crate::SdecError::Invalid("the q|k|v bench has no KV cache".into())),
            };
            kernel.launch(gpu, &w[i % copies], src, dst)
        })
    }
    fn bytes(s: &LinearShape) -> f64 {
        let input = match s.input {
            LinearIn::Bf16 => 2.0,
            LinearIn::F32 => 4.0,
            LinearIn::RmsNorm => 4.0,
        } * (s.batch * s.in_dim) as f64;
        let out_bytes = match s.out {
            LinearOut::Bf16 | LinearOut::RopeAppend { .. } => 2.0,
            LinearOut::SwiGlu => 2.0,
            LinearOut::F32 | LinearOut::AddF32 => 4.0,
        };
        2.0 * s.out_dim as f64 * s.in_dim as f64 + input + (s.batch * s.out_dim) as f64 * out_bytes
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// A short kernel's run is several launches on distinct copies; a long one's, or one whose
    /// copies need a flush to stay out of L2, a single launch.
    #[test]
    fn short_kernels_are_timed_as_several_launches_a_run() {
        let draft_gather = 37_580_800; // SpecAttn's b1 draft gather, 6 copies
        assert_eq!(launches_per_run(draft_gather, 6, false), 6.min(RUN_BYTES.div_ceil(draft_gather)));
        assert!(launches_per_run(draft_gather, 6, false) > 1);
        assert_eq!(launches_per_run(draft_gather, 2, false), 2, "never more launches than copies");
        assert_eq!(launches_per_run(4 << 30, 1, false), 1, "b8 decode: one launch");
        assert_eq!(launches_per_run(512 << 10, 8, true), 1, "flushed between runs: one launch");
        assert_eq!(launches_per_run(RUN_BYTES, 4, false), 1);
    }

    /// LycheeDecode's layout: the sink, the recent window, then whole 64-token blocks in
    /// ascending order, every token at most once and inside the context.
    #[test]
    fn lychee_layout_lists_read_sink_window_and_blocks_once() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (context, entries) = (131_072, 4480);
        let list = lychee_layout_list(&mut rng, context, entries);
        assert_eq!(list.len(), entries as usize);
        assert_eq!(&list[..4], &[0, 1, 2, 3]);
        assert_eq!(list[128], (context - 256) as i32);
        assert_eq!(list[383], (context - 1) as i32);
        let mut tokens: Vec<i32> = list.iter().copied().filter(|&t| t >= 0).collect();
        assert!(tokens.iter().all(|&t| (t as u32) < context));
        let blocks: Vec<i32> = list[384..].chunks(64).filter(|b| b[0] >= 0).map(|b| b[0] / 64).collect();
        assert!(blocks.windows(2).all(|w| w[0] < w[1]), "blocks ascend");
        assert!(list[384..].chunks(64).all(|b| b.iter().all(|&t| t < 0) || b.windows(2).all(|w| w[1] == w[0] + 1)), "a block is a run");
        let n = tokens.len();
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), n, "a token listed twice");
        // A short context: the window overlaps the sink, and its slots before the sink's end are -1.
        let short = lychee_layout_list(&mut rng, 300, 448);
        assert_eq!(short.len(), 448);
        assert!(short[128..384].iter().take(84).all(|&t| t == -1), "{:?}", &short[128..220]);
        assert!(short.iter().all(|&t| t < 300));
    }
}
