//! One decode step of the whole model on the GPU, and the state it keeps between steps.
//!
//! A step enqueues, with no host round trip: embed(tokens) → per layer [rmsnorm → qkv projection →
//! RoPE + KV append → attention (the policy) → o projection + residual → rmsnorm → gate|up
//! projection → SwiGLU → down projection + residual] → final rmsnorm → LM head → argmax into
//! `tokens` → positions + 1. With the generated `linear` kernels (the default at batch ≤ 8) the
//! RMSNorms happen inside the projections that read them and the SwiGLU inside the gate|up
//! projection that makes it, so a layer is seven launches; with cuBLAS they are kernels of their
//! own. Token ids and positions live on the
//! device, so steps follow each other (and are captured in a CUDA graph) without the host.

use std::sync::Arc;

use std::collections::HashMap;

use cudarc::driver::CudaSlice;
use sdec_kernels::attention::{AttentionShape, ChunkAttention, ChunkShape, MAX_QROWS};
use sdec_kernels::glue::{Advance, Argmax, Embed, RmsNorm, RopeAppend, RowShape, Swiglu};
use sdec_kernels::linear::{Linear, LinearIn, LinearOut, LinearShape, MAX_BATCH};
use sdec_kernels::KernelFamily;
use sdec_model::ops::rope_inv_freq;
use sdec_model::{ModelConfig, PolicySpec};

use super::blas::{Blas, Product};
use super::graph::StepGraph;
use super::kv::KvCache;
use super::lychee::LycheeGpu;
use super::omit::{Omitted, Stage};
use super::quest::QuestGpu;
use super::spec::SpecGpu;
use super::streaming::StreamingGpu;
use super::lfps::LfpsGpu;
use super::tidal::TidalGpu;
use super::weights::GpuWeights;
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, ChunkKernel, DecodeKernel};
use crate::launch::glue::{self, ArgmaxScratch, GlueKernel};
use crate::launch::linear::{LinearDst, LinearKernel, LinearSrc, RopeDst};
use crate::launch::{download, upload, zeros};
use crate::tuned::Tuned;

/// Policies the GPU loop serves (every policy of sdec-model; SpecAttn at batch 1).
pub const GPU_POLICIES: [&str; 7] = ["full", "lychee", "specattn", "streaming", "quest", "tidal", "lfps"];

/// The attention of a decode step (a chunk pass is always dense and causal).
enum Attention {
    Full,
    Lychee(Box<LycheeGpu>),
    /// SpecAttn's draft steps; its verification is a chunk pass.
    Spec(Box<SpecGpu>),
    Streaming(Box<StreamingGpu>),
    Quest(Box<QuestGpu>),
    Tidal(Box<TidalGpu>),
    Lfps(Box<LfpsGpu>),
}

/// Whether a step applies the policy (decode) or attends densely (prefill, one token at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    Dense,
    Policy,
}

/// What one SpecAttn round produced.
pub struct SpecRound {
    /// Tokens accepted per sequence (the same for every sequence of the batch).
    pub accepted: usize,
    /// Accepted tokens, sequence-major (`batch × accepted`): the drafts that matched, then the
    /// bonus token.
    pub tokens: Vec<u32>,
    /// Their logit rows (same order), when asked for.
    pub logits: Vec<Vec<f32>>,
    /// KV entries read per draft step, then by the verification.
    pub kv_read: Vec<u64>,
    /// Host time from the round's call to the first draft step's launch (a capture and update
    /// the first time, a relaunch of the same graph after): a GPU that waited for the round
    /// idles that long.
    pub first_launch: std::time::Duration,
}

/// What [`Decoder::layers`] runs: one token per sequence, or a causal chunk of `n`.
#[derive(Clone, Copy, Debug)]
enum Pass {
    Step(StepKind),
    Chunk { n: usize, capture: bool },
}

struct Buffers {
    x: CudaSlice<f32>,
    xn: CudaSlice<u16>,
    qkv: CudaSlice<u16>,
    q: CudaSlice<u16>,
    attn: CudaSlice<u16>,
    gate_up: CudaSlice<u16>,
    act: CudaSlice<u16>,
    /// The SwiGLU activations of the generated path, kept in fp32.
    act_f32: CudaSlice<f32>,
    logits: CudaSlice<f32>,
    tokens: CudaSlice<i32>,
    pos: CudaSlice<i32>,
    inv_freq: CudaSlice<f64>,
    unused_scores: CudaSlice<f32>,
    /// A chunk pass's tokens [batch][n] in, greedy tokens [batch][n] out, and positions.
    chunk_in: CudaSlice<i32>,
    chunk_out: CudaSlice<i32>,
    chunk_pos: CudaSlice<i32>,
    /// The chunk's per-row log-sum-exp when nobody captures it.
    chunk_lse: CudaSlice<f32>,
}

/// Which code runs the linear layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gemm {
    /// The `linear` family (batch ≤ 8): streams the weights once.
    Generated,
    /// cuBLAS GEMMs.
    Cublas,
}

/// The `linear` kernels of one step, one per projection shape.
struct Projections {
    qkv: LinearKernel,
    o: LinearKernel,
    gate_up: LinearKernel,
    down: LinearKernel,
    lm_head: LinearKernel,
}

impl Projections {
    fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, batch: usize) -> Result<Self> {
        let make = |out_dim: usize, in_dim: usize, input: LinearIn, out: LinearOut| {
            let shape = LinearShape { batch: batch as u32, out_dim: out_dim as u32, in_dim: in_dim as u32, input, out };
            LinearKernel::new(gpu, tuned.config_for::<Linear>(gpu, &shape)?, shape)
        };
        let (h, q, kv, ffn) = (cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn);
        // Llama's q|k|v product does RoPE and the KV append itself; Qwen3's q/k norm needs whole
        // heads, so its product goes to `rope_append`.
        let qkv_out = if cfg.qk_norm { LinearOut::Bf16 } else { LinearOut::RopeAppend { head_dim: cfg.head_dim as u32, kv_heads: cfg.n_kv_head as u32 } };
        Ok(Projections {
            qkv: make(q + 2 * kv, h, LinearIn::RmsNorm, qkv_out)?,
            o: make(h, q, LinearIn::Bf16, LinearOut::AddF32)?,
            gate_up: make(2 * ffn, h, LinearIn::RmsNorm, LinearOut::SwiGlu)?,
            down: make(h, ffn, LinearIn::F32, LinearOut::AddF32)?,
            lm_head: make(cfg.vocab, h, LinearIn::RmsNorm, LinearOut::F32)?,
        })
    }
}

/// The linear layers of a step: generated kernels, or cuBLAS with separate norm and SwiGLU
/// kernels.
enum Linears {
    Generated(Projections),
    Cublas { blas: Blas, rmsnorm: GlueKernel, swiglu: GlueKernel },
}

/// The kernels whose shape is the number of rows a pass carries: `batch` for a decode step,
/// `batch × n` for a chunk of n tokens per sequence.
struct RowKernels {
    linears: Linears,
    rope_append: GlueKernel,
    argmax: GlueKernel,
    argmax_scratch: ArgmaxScratch,
    embed: GlueKernel,
}

impl RowKernels {
    fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, rows: usize, capacity: usize, gemm: Gemm) -> Result<Self> {
        let row = |n: usize, head_dim: usize, capacity: usize| RowShape { rows: rows as u32, n: n as u32, head_dim: head_dim as u32, capacity: capacity as u32 };
        let rope_shape = row(cfg.q_dim() + 2 * cfg.kv_dim(), cfg.head_dim, capacity);
        let linears = match gemm {
            Gemm::Generated if rows > MAX_BATCH as usize => {
                return Err(SdecError::Invalid(format!("the generated linear kernels serve at most {MAX_BATCH} rows (batch × chunk); use --gemm cublas for {rows}")))
            }
            Gemm::Generated => Linears::Generated(Projections::new(gpu, tuned, cfg, rows)?),
            Gemm::Cublas => Linears::Cublas {
                blas: Blas::new(gpu)?,
                rmsnorm: tuned.glue_kernel::<RmsNorm>(gpu, &row(cfg.hidden, 0, 0))?,
                swiglu: tuned.glue_kernel::<Swiglu>(gpu, &row(cfg.ffn, 0, 0))?,
            },
        };
        Ok(RowKernels {
            linears,
            rope_append: GlueKernel::new::<RopeAppend>(gpu, &RopeAppend::default_config(&rope_shape, &gpu.limits())?, &rope_shape)?,
            argmax: tuned.glue_kernel::<Argmax>(gpu, &row(cfg.vocab, 0, 0))?,
            argmax_scratch: ArgmaxScratch::new(gpu, rows)?,
            embed: tuned.glue_kernel::<Embed>(gpu, &row(cfg.hidden, 0, 0))?,
        })
    }
}

/// What a chunk of n tokens per sequence runs: row kernels for batch × n rows and the causal
/// chunk attention.
struct ChunkPass {
    rows: RowKernels,
    attention: ChunkKernel,
}

pub struct Decoder {
    pub cfg: ModelConfig,
    pub batch: usize,
    /// Tokens in the cache (every sequence of the batch has the same length).
    pub len: usize,
    weights: Arc<GpuWeights>,
    kv: KvCache,
    gemm: Gemm,
    bufs: Buffers,
    /// Row kernels of a decode step (`batch` rows).
    step_rows: RowKernels,
    advance: GlueKernel,
    /// Chunk passes by (tokens per sequence, capture), made on first use: a captured pass's
    /// attention also writes its logits for SpecAttn's selection.
    chunks: HashMap<(usize, bool), ChunkPass>,
    /// Most tokens per sequence a chunk pass may carry.
    pub max_chunk: usize,
    /// Rows per sequence of the last pass (1 after a step).
    last_rows: usize,
    dense: DecodeKernel,
    attention: Attention,
    graph: StepGraph,
    /// `graph` holds a SpecAttn draft step, which is the same at every step (see decode/spec.rs):
    /// the next one is launched as it is.
    graph_is_draft: bool,
    chunk_graphs: HashMap<(usize, bool), StepGraph>,
    /// Stages left out of every pass (`sdec bench decode --omit`; empty otherwise).
    omitted: Omitted,
}

impl Decoder {
    /// A decoder for `batch` sequences of up to `capacity` tokens under `policy`; chunk passes
    /// (prefill, verification) carry up to `max_chunk` tokens per sequence.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, weights: Arc<GpuWeights>, policy: &PolicySpec, batch: usize, capacity: usize, gemm: Gemm,
        max_chunk: usize,
    ) -> Result<Self> {
        // Kernels are looked up here and as the decoder first needs them (chunk passes, gather
        // plans): all of them serve this policy's steps, with its own refined choices.
        tuned.set_policy(Some(policy.name()));
        if cfg.qk_norm != weights.layers.iter().all(|l| l.qk_norm.is_some()) {
            return Err(SdecError::Invalid("the model's configuration and its weights disagree on Qwen3's q/k norm".into()));
        }
        if capacity > cfg.max_context {
            return Err(SdecError::Invalid(format!("a context of {capacity} tokens is beyond the model's limit of {}", cfg.max_context)));
        }
        if batch == 0 || capacity == 0 {
            return Err(SdecError::Invalid("batch and context must be at least 1".into()));
        }
        if max_chunk == 0 || max_chunk > MAX_QROWS as usize {
            return Err(SdecError::Invalid(format!("a chunk of {max_chunk} tokens per sequence is outside 1..={MAX_QROWS}")));
        }
        let kv = KvCache::new(gpu, cfg, batch, capacity)?;
        let (b, h, q_dim, kv_dim, ffn, vocab, hd) = (batch, cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.vocab, cfg.head_dim);
        let rows = b * max_chunk;
        let advance = {
            let shape = RowShape { rows: 1, n: b as u32, head_dim: 0, capacity: 0 };
            GlueKernel::new::<Advance>(gpu, &Advance::default_config(&shape, &gpu.limits())?, &shape)?
        };
        let mut inv_freq = rope_inv_freq(hd, cfg.rope_theta, cfg.rope_scaling.as_ref());
        if let Some(d) = &cfg.rope_freq_divisors {
            inv_freq.iter_mut().zip(d).for_each(|(f, d)| *f /= *d as f64);
        }
        let bufs = Buffers {
            x: zeros(gpu, rows * h, "the residual stream")?,
            xn: zeros(gpu, rows * h, "normed activations")?,
            qkv: zeros(gpu, rows * (q_dim + 2 * kv_dim), "q|k|v")?,
            q: zeros(gpu, rows * q_dim, "q")?,
            attn: zeros(gpu, rows * q_dim, "attention output")?,
            gate_up: zeros(gpu, rows * 2 * ffn, "gate|up")?,
            act: zeros(gpu, rows * ffn, "MLP activations")?,
            act_f32: zeros(gpu, rows * ffn, "MLP activations")?,
            logits: zeros(gpu, rows * vocab, "logits")?,
            tokens: zeros(gpu, b, "token ids")?,
            pos: zeros(gpu, b, "positions")?,
            inv_freq: upload(gpu, &inv_freq, "RoPE frequencies")?,
            unused_scores: zeros(gpu, 4, "placeholder")?,
            chunk_in: zeros(gpu, rows, "chunk token ids")?,
            chunk_out: zeros(gpu, rows, "chunk greedy tokens")?,
            chunk_pos: zeros(gpu, rows, "chunk positions")?,
            chunk_lse: zeros(gpu, rows * cfg.n_head, "chunk log-sum-exp")?,
        };
        let dense_shape = AttentionShape {
            batch: b as u32, kv_heads: cfg.n_kv_head as u32, group: cfg.group_size() as u32, head_dim: hd as u32,
            context: capacity as u32, capacity: capacity as u32, emit_scores: false, score_block: 64,
        };
        let dense = tuned.decode_kernel(gpu, dense_shape)?;
        let attention = match policy {
            PolicySpec::Full => Attention::Full,
            PolicySpec::Lychee(p) => Attention::Lychee(Box::new(LycheeGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
            PolicySpec::SpecAttn(p) => {
                if p.gamma + 1 > max_chunk {
                    return Err(SdecError::Invalid(format!("specattn: verifying γ = {} drafts needs chunks of {} tokens (this decoder: {max_chunk})", p.gamma, p.gamma + 1)));
                }
                Attention::Spec(Box::new(SpecGpu::new(gpu, tuned, cfg, p, b, capacity)?))
            }
            PolicySpec::Streaming(p) => Attention::Streaming(Box::new(StreamingGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
            PolicySpec::Quest(p) => Attention::Quest(Box::new(QuestGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
            PolicySpec::Tidal(p) => Attention::Tidal(Box::new(TidalGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
            PolicySpec::Lfps(p) => Attention::Lfps(Box::new(LfpsGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
        };
        let step_rows = RowKernels::new(gpu, tuned, cfg, b, capacity, gemm)?;
        Ok(Decoder {
            cfg: cfg.clone(), batch, len: 0, weights, kv, gemm, bufs, step_rows, advance, chunks: HashMap::new(), max_chunk, last_rows: 1, dense, attention,
            graph: StepGraph::default(),
            graph_is_draft: false,
            chunk_graphs: HashMap::new(),
            omitted: Omitted::default(),
        })
    }

    pub fn capacity(&self) -> usize {
        self.kv.capacity
    }

    /// Sets the next step's token of every sequence (prefill, teacher forcing). Without it a
    /// step feeds each sequence its previous greedy token.
    pub fn set_tokens(&mut self, gpu: &Gpu, tokens: &[u32]) -> Result<()> {
        if tokens.len() != self.batch {
            return Err(SdecError::Invalid(format!("{} tokens for a batch of {}", tokens.len(), self.batch)));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.cfg.vocab) {
            return Err(SdecError::Invalid(format!("token id {t} is outside the vocabulary of {}", self.cfg.vocab)));
        }
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        gpu.stream.memcpy_htod(&ids, &mut self.bufs.tokens).during("uploading token ids")
    }

    /// Declares the first `len` cache positions filled (by [`Decoder::fill_cache_random`] or
    /// earlier steps) and moves every sequence there.
    pub fn set_len(&mut self, gpu: &Gpu, len: usize) -> Result<()> {
        if len >= self.kv.capacity {
            return Err(SdecError::Invalid(format!("a context of {len} leaves no room in a cache of {}", self.kv.capacity)));
        }
        self.len = len;
        gpu.stream.memcpy_htod(&vec![len as i32; self.batch], &mut self.bufs.pos).during("uploading positions")
    }

    /// Fills the whole cache with seeded random bf16 keys and values (the timing benchmarks
    /// start from a long context without a prefill).
    pub fn fill_cache_random(&mut self, gpu: &Gpu, seed: u64) -> Result<()> {
        let n = self.kv.k[0].len();
        let shape = RowShape { rows: 4 * gpu.info.sm_count.max(1) as u32, n: 1, head_dim: 0, capacity: 0 };
        let kernel = GlueKernel::new::<sdec_kernels::glue::SynthWeights>(gpu, &sdec_kernels::glue::SynthWeights::default_config(&shape, &gpu.limits())?, &shape)?;
        for (l, (k, v)) in self.kv.k.iter_mut().zip(self.kv.v.iter_mut()).enumerate() {
            for (which, buf) in [(0u64, k), (1u64, v)] {
                let mut view = buf.slice_mut(0..n);
                // Keys of spread √3 per entry, as the synthetic models' keys (see synthetic.rs).
                let range = glue::SynthRange { seed, tensor_id: 1 << 32 | (l as u64) << 1 | which, index0: 0, n: n as u64, row_len: n as u64, out_stride: n as u64 };
                glue::synth_weights(gpu, &kernel, glue::SynthOut::Bf16(&mut view), range, 0.0, 3.0)?;
            }
        }
        Ok(())
    }

    /// Enqueues one step: every sequence's current token at position `len`. Logits and the
    /// greedy next tokens stay on the device ([`Decoder::logits`], [`Decoder::tokens`]).
    pub fn step(&mut self, gpu: &Gpu, kind: StepKind) -> Result<()> {
        self.check_room(1)?;
        if let (Attention::Spec(spec), StepKind::Policy) = (&mut self.attention, kind) {
            spec.begin_draft(gpu, &self.bufs.pos, &self.bufs.tokens, &mut self.bufs.chunk_in)?;
        }
        self.layers(gpu, Pass::Step(kind))?;
        if let (Attention::Lfps(lfps), StepKind::Policy) = (&mut self.attention, kind) {
            lfps.end_step();
        }
        if self.omitted.runs(Stage::Argmax) {
            let rows = &mut self.step_rows;
            glue::argmax(gpu, &rows.argmax, &self.bufs.logits, &mut self.bufs.tokens, self.cfg.vocab as i32, &mut rows.argmax_scratch)?;
        }
        glue::advance(gpu, &self.advance, &mut self.bufs.pos, self.batch as i32)?;
        self.step_done();
        Ok(())
    }

    /// Refuses a pass of `n` more tokens per sequence than the KV cache has room for.
    fn check_room(&self, n: usize) -> Result<()> {
        if self.len + n > self.kv.capacity {
            return Err(SdecError::Invalid(format!("the KV cache is full ({} tokens)", self.kv.capacity)));
        }
        Ok(())
    }

    /// The host's side of an enqueued step: one more token per sequence.
    fn step_done(&mut self) {
        self.len += 1;
        self.last_rows = 1;
    }

    /// Runs `n` tokens per sequence, at positions `len..len + n` and causal among themselves,
    /// through the model with dense attention (chunked prefill; SpecAttn's verification, which
    /// `capture`s each layer's queries and log-sum-exps for the draft selection). The tokens
    /// are in the chunk input ([`Decoder::set_chunk_tokens`], or written there on the device);
    /// afterwards the logits of all `batch × n` rows and their greedy tokens are on the device,
    /// each sequence's next input is the greedy token of its last row, and `len` grew by `n`.
    pub fn forward_chunk(&mut self, gpu: &Gpu, tuned: &Tuned, n: usize, capture: bool) -> Result<()> {
        if n == 0 || n > self.max_chunk {
            return Err(SdecError::Invalid(format!("a chunk of {n} tokens per sequence is outside 1..={}", self.max_chunk)));
        }
        if self.len + n > self.kv.capacity {
            return Err(SdecError::Invalid(format!("{n} more tokens overflow the KV cache ({} of {} used)", self.len, self.kv.capacity)));
        }
        if capture && !matches!(self.attention, Attention::Spec(_)) {
            return Err(SdecError::Invalid("only SpecAttn captures a chunk's attention".into()));
        }
        if !self.chunks.contains_key(&(n, capture)) {
            let pass = self.chunk_pass(gpu, tuned, n, capture)?;
            self.chunks.insert((n, capture), pass);
        }
        let positions: Vec<i32> = (0..self.batch).flat_map(|_| (self.len..self.len + n).map(|p| p as i32)).collect();
        gpu.stream.memcpy_htod(&positions, &mut self.bufs.chunk_pos).during("uploading chunk positions")?;
        // Through a CUDA graph per (n, capture): a chunk pass is as many launches as a step.
        let mut graph = self.chunk_graphs.remove(&(n, capture)).unwrap_or_default();
        let result = graph.run(gpu, || self.chunk_body(gpu, n, capture));
        self.chunk_graphs.insert((n, capture), graph);
        result?;
        self.len += n;
        self.last_rows = n;
        gpu.stream.memcpy_htod(&vec![self.len as i32; self.batch], &mut self.bufs.pos).during("uploading positions")
    }

    /// The device work of a chunk pass: the layers, greedy tokens per row, next inputs.
    fn chunk_body(&mut self, gpu: &Gpu, n: usize, capture: bool) -> Result<()> {
        self.layers(gpu, Pass::Chunk { n, capture })?;
        let pass = self.chunks.get_mut(&(n, capture)).ok_or_else(|| SdecError::Invalid("chunk pass cache".into()))?;
        glue::argmax(gpu, &pass.rows.argmax, &self.bufs.logits, &mut self.bufs.chunk_out, self.cfg.vocab as i32, &mut pass.rows.argmax_scratch)?;
        // Each sequence continues from its last row.
        for seq in 0..self.batch {
            let last = seq * n + n - 1;
            gpu.stream.memcpy_dtod(&self.bufs.chunk_out.slice(last..last + 1), &mut self.bufs.tokens.slice_mut(seq..seq + 1)).during("next tokens")?;
        }
        Ok(())
    }

    fn chunk_pass(&self, gpu: &Gpu, tuned: &Tuned, n: usize, capture: bool) -> Result<ChunkPass> {
        let cfg = &self.cfg;
        let shape = ChunkShape {
            batch: self.batch as u32, kv_heads: cfg.n_kv_head as u32, group: cfg.group_size() as u32, head_dim: cfg.head_dim as u32,
            qrows: n as u32, context: self.kv.capacity as u32, capacity: self.kv.capacity as u32, logits: capture,
        };
        let config = tuned.config_for::<ChunkAttention>(gpu, &shape)?;
        Ok(ChunkPass { rows: RowKernels::new(gpu, tuned, cfg, self.batch * n, self.kv.capacity, self.gemm)?, attention: ChunkKernel::new(gpu, config, shape)? })
    }

    /// Sets the chunk input, `batch × n` tokens (sequence-major).
    pub fn set_chunk_tokens(&mut self, gpu: &Gpu, tokens: &[u32]) -> Result<()> {
        if tokens.is_empty() || !tokens.len().is_multiple_of(self.batch) || tokens.len() / self.batch > self.max_chunk {
            return Err(SdecError::Invalid(format!("{} chunk tokens for a batch of {} and chunks of at most {}", tokens.len(), self.batch, self.max_chunk)));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.cfg.vocab) {
            return Err(SdecError::Invalid(format!("token id {t} is outside the vocabulary of {}", self.cfg.vocab)));
        }
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        gpu.stream.memcpy_htod(&ids, &mut self.bufs.chunk_in.slice_mut(..ids.len())).during("uploading chunk tokens")
    }

    /// Dense prefill of `prompt` (one sequence per row of the batch, all the same length) in
    /// chunks of up to `max_chunk` tokens; the last `tail` tokens go in a chunk of their own
    /// (SpecAttn selects from the last token's attention alone).
    pub fn prefill(&mut self, gpu: &Gpu, tuned: &Tuned, prompts: &[&[u32]], capture_last: bool) -> Result<()> {
        let len = prompts.first().map_or(0, |p| p.len());
        if prompts.len() != self.batch || len == 0 || prompts.iter().any(|p| p.len() != len) {
            return Err(SdecError::Invalid(format!("prefill needs {} non-empty prompts of one length", self.batch)));
        }
        let tail = if capture_last { 1 } else { 0 };
        let mut done = 0;
        while done < len {
            let n = if done + tail == len { 1 } else { (len - tail - done).min(self.max_chunk) };
            let chunk: Vec<u32> = prompts.iter().flat_map(|p| p[done..done + n].iter().copied()).collect();
            self.set_chunk_tokens(gpu, &chunk)?;
            self.forward_chunk(gpu, tuned, n, capture_last && done + n == len)?;
            done += n;
        }
        Ok(())
    }

    /// The layers of a pass: embed → per layer [qkv → RoPE + append → attention → o → MLP] →
    /// final norm → LM head.
    fn layers(&mut self, gpu: &Gpu, pass: Pass) -> Result<()> {
        let cfg = &self.cfg;
        let (b, h, q_dim, kv_dim, ffn, hd) = (self.batch, cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.head_dim);
        let scale = (1.0 / (hd as f64).sqrt()) as f32;
        let omitted = self.omitted;
        let runs = |stage| omitted.runs(stage);
        let (eps, bufs, w) = (cfg.rms_eps, &mut self.bufs, &self.weights);
        let (rk, n, chunk_attention) = match pass {
            Pass::Step(_) => (&self.step_rows, 1, None),
            Pass::Chunk { n, capture } => {
                let c = self.chunks.get_mut(&(n, capture)).ok_or_else(|| SdecError::Invalid("chunk pass cache".into()))?;
                (&c.rows, n, Some(&mut c.attention))
            }
        };
        let mut chunk_attention = chunk_attention;
        let rows = b * n;
        let (tokens, pos) = if n == 1 && chunk_attention.is_none() { (&bufs.tokens, &bufs.pos) } else { (&bufs.chunk_in, &bufs.chunk_pos) };
        glue::embed(gpu, &rk.embed, &w.embedding, tokens, &mut bufs.x, h as i32)?;
        let dims = (cfg.n_head as i32, cfg.n_kv_head as i32, hd as i32, self.kv.capacity as i32);
        let ctx = (self.len + n) as u32;
        let capacity = self.kv.capacity;
        for (l, lw) in w.layers.iter().enumerate() {
            let (kc, vc) = (&mut self.kv.k[l], &mut self.kv.v[l]);
            let normed = LinearSrc::RmsNorm { x: &bufs.x, gamma: &lw.attn_norm, eps };
            // With RoPE and the append inside the q|k|v product (Llama), `--omit rope` and
            // `--omit qkv` leave out both.
            let fused = matches!(&rk.linears, Linears::Generated(p) if matches!(p.qkv.shape.out, LinearOut::RopeAppend { .. }));
            match &rk.linears {
                _ if !runs(Stage::Qkv) => {}
                Linears::Generated(p) if fused => {
                    if runs(Stage::Rope) {
                        let dst = RopeDst { q: &mut bufs.q, k_cache: kc, v_cache: vc, pos, inv_freq: &bufs.inv_freq, capacity, rows_per_seq: n };
                        p.qkv.launch(gpu, &lw.wqkv, normed, LinearDst::RopeAppend(dst))?;
                    }
                }
                Linears::Generated(p) => p.qkv.launch(gpu, &lw.wqkv, normed, LinearDst::Bf16(&mut bufs.qkv))?,
                Linears::Cublas { blas, rmsnorm, .. } => {
                    glue::rmsnorm(gpu, rmsnorm, &bufs.x, &lw.attn_norm, &mut bufs.xn, h as i32, eps)?;
                    blas.linear(gpu, &lw.wqkv, &bufs.xn, Product::Bf16(&mut bufs.qkv), q_dim + 2 * kv_dim, h, rows)?;
                }
            }
            let (kc, vc) = (&mut self.kv.k[l], &mut self.kv.v[l]);
            let qk_norm = lw.qk_norm.as_ref().map(|(q, k)| (q, k, eps));
            if runs(Stage::Rope) && !fused {
                glue::rope_append(gpu, &rk.rope_append, &bufs.qkv, &mut bufs.q, kc, vc, pos, &bufs.inv_freq, dims, n as i32, qk_norm)?;
            }
            if let Attention::Quest(quest) = &mut self.attention {
                quest.update_pages(gpu, l, kc, pos, rows, n, ctx)?;
            }
            let inputs = AttentionInputs { q: &bufs.q, k: kc, v: vc, scale };
            match (&mut self.attention, pass, chunk_attention.as_deref_mut()) {
                _ if !runs(Stage::Attention) => {}
                (Attention::Spec(spec), Pass::Chunk { capture: true, .. }, Some(chunk)) => {
                    let (mut lse, mut logits) = spec.capture_views(l, n);
                    chunk.launch_at(gpu, &inputs, ctx, &mut bufs.attn, &mut lse, Some(&mut logits))?;
                }
                (_, _, Some(chunk)) => chunk.launch_at(gpu, &inputs, ctx, &mut bufs.attn, &mut bufs.chunk_lse.slice_mut(..), None)?,
                (Attention::Lychee(lychee), Pass::Step(StepKind::Policy), None) => lychee.attend(gpu, l, ctx, &inputs, &mut bufs.attn)?,
                (Attention::Spec(spec), Pass::Step(StepKind::Policy), None) => spec.attend(gpu, l, &inputs, &mut bufs.attn)?,
                (Attention::Streaming(s), Pass::Step(StepKind::Policy), None) => s.attend(gpu, l, ctx, &inputs, &mut bufs.attn)?,
                (Attention::Quest(q), Pass::Step(StepKind::Policy), None) if l >= q.dense_layers => q.attend(gpu, l, ctx, &inputs, &mut bufs.attn)?,
                (Attention::Tidal(t), Pass::Step(StepKind::Policy), None) => t.attend(gpu, l, ctx, &inputs, &mut bufs.attn, &mut self.dense, &mut bufs.unused_scores)?,
                (Attention::Lfps(f), Pass::Step(StepKind::Policy), None) => f.attend(gpu, l, ctx, &inputs, &mut bufs.attn, &mut self.dense, &mut bufs.unused_scores)?,
                _ => self.dense.launch_at(gpu, &inputs, ctx, &mut bufs.attn, &mut bufs.unused_scores)?,
            }
            match &rk.linears {
                Linears::Generated(p) => {
                    if runs(Stage::O) {
                        p.o.launch(gpu, &lw.wo, LinearSrc::Bf16(&bufs.attn), LinearDst::F32(&mut bufs.x))?;
                    }
                    if runs(Stage::GateUp) {
                        p.gate_up.launch(gpu, &lw.w_gate_up, LinearSrc::RmsNorm { x: &bufs.x, gamma: &lw.ffn_norm, eps }, LinearDst::F32(&mut bufs.act_f32))?;
                    }
                    if runs(Stage::Down) {
                        p.down.launch(gpu, &lw.w_down, LinearSrc::F32(&bufs.act_f32), LinearDst::F32(&mut bufs.x))?;
                    }
                }
                Linears::Cublas { blas, rmsnorm, swiglu } => {
                    if runs(Stage::O) {
                        blas.linear(gpu, &lw.wo, &bufs.attn, Product::AddF32(&mut bufs.x), h, q_dim, rows)?;
                    }
                    if runs(Stage::GateUp) {
                        glue::rmsnorm(gpu, rmsnorm, &bufs.x, &lw.ffn_norm, &mut bufs.xn, h as i32, eps)?;
                        blas.linear(gpu, &lw.w_gate_up, &bufs.xn, Product::Bf16(&mut bufs.gate_up), 2 * ffn, h, rows)?;
                        glue::swiglu(gpu, swiglu, &bufs.gate_up, &mut bufs.act, ffn as i32)?;
                    }
                    if runs(Stage::Down) {
                        blas.linear(gpu, &lw.w_down, &bufs.act, Product::AddF32(&mut bufs.x), h, ffn, rows)?;
                    }
                }
            }
        }
        if let Attention::Lychee(lychee) = &mut self.attention {
            lychee.join(gpu)?;
        }
        match &rk.linears {
            _ if !runs(Stage::LmHead) => {}
            Linears::Generated(p) => p.lm_head.launch(gpu, w.lm_head(), LinearSrc::RmsNorm { x: &bufs.x, gamma: &w.final_norm, eps }, LinearDst::F32(&mut bufs.logits))?,
            Linears::Cublas { blas, rmsnorm, .. } => {
                glue::rmsnorm(gpu, rmsnorm, &bufs.x, &w.final_norm, &mut bufs.xn, h as i32, eps)?;
                blas.linear(gpu, w.lm_head(), &bufs.xn, Product::F32(&mut bufs.logits), cfg.vocab, h, rows)?;
            }
        }
        Ok(())
    }

    /// [`Decoder::step`] through a CUDA graph ([`StepGraph`]): captured, then launched as one.
    pub fn step_graph(&mut self, gpu: &Gpu, kind: StepKind) -> Result<()> {
        // Everything that allocates or uploads must happen before the capture.
        if let (Attention::Lychee(lychee), StepKind::Policy) = (&mut self.attention, kind) {
            lychee.prepare(gpu, self.cfg.n_layer, (self.len + 1) as u32)?;
        }
        let draft = matches!((&self.attention, kind), (Attention::Spec(_), StepKind::Policy));
        if draft && self.graph_is_draft {
            self.check_room(1)?;
            self.graph.launch(gpu)?;
            self.step_done();
            return Ok(());
        }
        let mut graph = std::mem::take(&mut self.graph);
        let result = graph.run(gpu, || self.step(gpu, kind));
        self.graph = graph;
        self.graph_is_draft = draft && result.is_ok();
        result
    }

    /// SpecAttn: the prompt's dense prefill, and the first selection from its last token's
    /// attention (as the reference's prefill capture).
    pub fn spec_prefill(&mut self, gpu: &Gpu, tuned: &Tuned, prompt: &[u32]) -> Result<()> {
        self.prefill(gpu, tuned, &[prompt], true)?;
        self.spec_select_last(gpu)
    }

    /// SpecAttn: selects from the last pass's captured single row (a prefill's last token).
    pub fn spec_select_last(&mut self, gpu: &Gpu) -> Result<()> {
        let Attention::Spec(spec) = &mut self.attention else {
            return Err(SdecError::Invalid("a SpecAttn selection needs the specattn policy".into()));
        };
        if self.len == 0 {
            return Err(SdecError::Invalid("a SpecAttn selection needs a captured pass first (the cache is empty)".into()));
        }
        spec.select(gpu, 1, self.len - 1, 0)
    }

    /// One SpecAttn round from each sequence's current token (its last greedy token): `gamma`
    /// draft steps (through the step graph), the verification of the γ + 1 tokens, greedy
    /// acceptance and the next selection. Every sequence accepts as many tokens as the one that
    /// matched fewest drafts (see decode/spec.rs). Returns the accepted tokens (matching drafts +
    /// the bonus token; the last is the next input) and, with `logits`, their logit rows.
    /// `events`, when given, are recorded after the drafts, after the verification pass and
    /// after the selection (the benchmark's breakdown of a round).
    pub fn spec_round(&mut self, gpu: &Gpu, tuned: &Tuned, gamma: usize, logits: bool, events: Option<&[cudarc::driver::CudaEvent; 3]>) -> Result<SpecRound> {
        let called = std::time::Instant::now();
        let n = gamma + 1;
        if !matches!(self.attention, Attention::Spec(_)) {
            return Err(SdecError::Invalid("spec_round needs the specattn policy".into()));
        }
        if self.len + n > self.kv.capacity {
            return Err(SdecError::Invalid(format!("a round of {n} tokens overflows the KV cache ({} of {} used)", self.len, self.kv.capacity)));
        }
        let (base, batch) = (self.len, self.batch);
        let mut kv_read = Vec::with_capacity(n);
        // Chunk row (b, i) is sequence b's input of draft step i: the current token, then each
        // draft. Each draft step keeps its own input (`spec_draft_begin`); the last draft's
        // token, row γ, is copied after it.
        let mut first_launch = std::time::Duration::ZERO;
        for i in 0..gamma {
            kv_read.push(self.kv_entries(self.len + 1));
            self.step_graph(gpu, StepKind::Policy)?;
            if i == 0 {
                first_launch = called.elapsed();
            }
        }
        for b in 0..batch {
            let at = b * n + gamma;
            gpu.stream.memcpy_dtod(&self.bufs.tokens.slice(b..b + 1), &mut self.bufs.chunk_in.slice_mut(at..at + 1)).during("draft inputs")?;
        }
        let record = |i: usize| events.map_or(Ok(()), |e| e[i].record(&gpu.stream).during("recording an event"));
        record(0)?;
        // Verify from `base`: the drafts' KV entries are written again by the dense pass.
        self.len = base;
        self.forward_chunk(gpu, tuned, n, true)?;
        record(1)?;
        kv_read.push((0..n).map(|r| (self.cfg.n_layer * self.cfg.n_kv_head * (base + r + 1)) as u64).sum());
        let Attention::Spec(spec) = &mut self.attention else {
            return Err(SdecError::Invalid("spec_round needs the specattn policy".into()));
        };
        // Rows 0..j-1 confirmed drafts 1..j; row j gives the bonus token. The batch keeps the
        // shortest match. Decided on the device, which also sets each sequence's next token and
        // position and stages the selection's inputs: one read, nothing uploaded.
        let bufs = &mut self.bufs;
        // The selection is enqueued before the host waits for j (it needs none of it), so the
        // GPU goes on while the result travels.
        spec.accept(gpu, (&bufs.chunk_in, &bufs.chunk_out), n, base, (&mut bufs.tokens, &mut bufs.pos))?;
        spec.select_staged(gpu, n, base)?;
        record(2)?;
        let (j, verified) = spec.read_acceptance(n)?;
        spec.selected_at(base, j);
        let tokens: Vec<u32> = (0..batch).flat_map(|b| verified[b * n..=b * n + j].iter().map(|&t| t as u32)).collect();
        let rows = if logits {
            let v = self.cfg.vocab;
            let all: Vec<f32> = gpu.stream.clone_dtoh(&self.bufs.logits.slice(..batch * n * v)).during("reading verify logits")?;
            (0..batch).flat_map(|b| (0..=j).map(move |r| (b * n + r) * v)).map(|at| all[at..at + v].to_vec()).collect()
        } else {
            Vec::new()
        };
        self.len = base + j + 1;
        Ok(SpecRound { accepted: j + 1, tokens, logits: rows, kv_read, first_launch })
    }

    /// Timing only: every later SpecAttn round keeps `accepted` tokens whatever matched (None:
    /// greedy acceptance again). See spec.cu `spec_accept`.
    pub fn force_spec_acceptance(&mut self, accepted: Option<usize>) -> Result<()> {
        let Attention::Spec(spec) = &mut self.attention else {
            return Err(SdecError::Invalid("forcing the acceptance needs the specattn policy".into()));
        };
        spec.forced_row = accepted.map(|a| a.saturating_sub(1));
        Ok(())
    }

    /// Leaves `omitted` out of every later pass: for timing what the rest costs (the values
    /// computed are then wrong).
    pub fn omit(&mut self, omitted: Omitted) {
        self.omitted = omitted;
        self.graph_is_draft = false;  // the next draft step is another graph
        if let Attention::Lychee(lychee) = &mut self.attention {
            lychee.selects = omitted.runs(Stage::Select);
        }
    }

    /// How many times the step graph was instantiated (the rest were in-place updates).
    pub fn graph_instantiations(&self) -> usize {
        self.graph.instantiations
    }

    /// Logits at each sequence's last position after a step or chunk pass, `[batch][vocab]`.
    pub fn logits(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        let (n, v) = (self.last_rows, self.cfg.vocab);
        if n == 1 {
            return gpu.stream.clone_dtoh(&self.bufs.logits.slice(..self.batch * v)).during("reading back logits");
        }
        let mut out = Vec::with_capacity(self.batch * v);
        for seq in 0..self.batch {
            let row = seq * n + n - 1;
            out.extend(gpu.stream.clone_dtoh(&self.bufs.logits.slice(row * v..(row + 1) * v)).during("reading back logits")?);
        }
        Ok(out)
    }

    /// The greedy tokens of the last step (the next step's input).
    pub fn tokens(&self, gpu: &Gpu) -> Result<Vec<u32>> {
        Ok(download(&gpu.stream, &self.bufs.tokens, "token ids")?.into_iter().map(|t| t as u32).collect())
    }

    /// KV entries (K and V rows) one policy step reads per sequence at context `ctx`.
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        match &self.attention {
            Attention::Full => (self.cfg.n_layer * self.cfg.n_kv_head * ctx) as u64,
            Attention::Lychee(l) => l.kv_entries(ctx),
            Attention::Spec(s) => s.kv_entries(ctx),
            Attention::Streaming(s) => s.kv_entries(ctx),
            Attention::Quest(q) => q.kv_entries(ctx),
            Attention::Tidal(t) => t.kv_entries(ctx),
            Attention::Lfps(f) => f.kv_entries(ctx),
        }
    }

    pub fn weight_bytes(&self) -> u64 {
        self.weights.bytes
    }
}
